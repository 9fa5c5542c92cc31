"""labkit: what the course's labs share (the offline cloud runtime, checks, measurement).

Kept import-free so `import labkit.checks` does not pay for moto and boto3.
"""
