"""How labkit.cloud patches moto's private code, reversibly: the mechanism, not the patches.

- `patching.py`: the ledger every patch goes through (`set_`, undone by `uninstall`), the
  post-import hook for moto modules that are slow to import (`when_imported`), and `install`,
  a loop over the installers the `LocalCloud` facade passes in.

This package is named for what it patches; every import of moto itself in labkit is absolute
(`import moto.sqs.models`), which never resolves to `labkit.cloud.moto`.
"""
