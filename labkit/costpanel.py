"""lab07's interactive cost panel: sliders for a workload, a live plot of monthly cost vs requests.

`cost_panel(options)` takes the options to compare as `{name: cost(requests, settings)}`, where
`settings` holds the sliders' values (`duration_ms`, `memory_mb`, `architecture`, `api`), and draws
each option's monthly cost (USD) against monthly requests up to the requests slider. The cost
functions are the learner's own (lab07 tasks 1-3); the panel only draws them. Moving a slider
redraws the plot at once (`continuous_update=False`: on release, so a slow function does not
queue up redraws). The figure is a plain `matplotlib.figure.Figure` rendered to a PNG and shown in
an `Output` widget: without pyplot no backend registers a PNG formatter for a bare Figure (it would
show as its text repr), and a PNG works in JupyterLab, the grader's kernel and a static export alike. The
panel registers the course's Korean font (`labkit.plots.korean()`) for its labels.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["CostPanel", "cost_panel"]

Cost = Callable[[int, Mapping[str, Any]], float]


class CostPanel:
    """The widget (`.widget`), its sliders (`.controls`), and the last figure drawn (`.figure`)."""

    def __init__(self, options: Mapping[str, Cost], *, requests: float = 50_000_000, duration_ms: int = 100,
                 memory_mb: int = 512, architecture: str = "x86_64", api: str = "http", points: int = 60) -> None:
        import ipywidgets as w

        from . import plots

        plots.korean()  # the title and axes are Korean
        if not options:
            raise ValueError("비교할 선택지가 없습니다. {'이름': 비용 함수} 형태의 dict를 넘기십시오.")
        for name, cost in options.items():
            if not callable(cost):
                raise ValueError(f"선택지 '{name}'의 값이 함수가 아닙니다. cost(requests, settings)를 받는 함수를 넘기십시오.")
        self.options = dict(options)
        self.points = points
        style = {"description_width": "9em"}
        layout = w.Layout(width="34em")
        self.controls: dict[str, Any] = {
            "requests": w.FloatLogSlider(value=requests, base=10, min=5, max=10, step=0.1, description="월 요청 수(최대)",
                                         readout_format=".2s", continuous_update=False, style=style, layout=layout),
            "duration_ms": w.IntSlider(value=duration_ms, min=1, max=3000, step=1, description="실행 시간(ms)",
                                       continuous_update=False, style=style, layout=layout),
            "memory_mb": w.IntSlider(value=memory_mb, min=128, max=10240, step=64, description="메모리(MB)",
                                     continuous_update=False, style=style, layout=layout),
            "architecture": w.ToggleButtons(options=["x86_64", "arm64"], value=architecture, description="아키텍처",
                                            style=style),
            "api": w.ToggleButtons(options=[("HTTP API", "http"), ("REST API", "rest")], value=api,
                                   description="API 종류", style=style),
        }
        self.output = w.Output()
        self.message = w.HTML()
        self.figure = None
        self.error: str | None = None
        for control in self.controls.values():
            control.observe(self._changed, names="value")
        self.widget = w.VBox([*self.controls.values(), self.message, self.output])
        self.redraw()

    def settings(self) -> dict[str, Any]:
        """The sliders' values (what each cost function receives), the requests aside."""
        return {k: c.value for k, c in self.controls.items() if k != "requests"}

    def curves(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Requests on the x axis and each option's monthly cost at them."""
        top = float(self.controls["requests"].value)
        xs = np.unique(np.linspace(0, top, self.points).astype(np.int64))
        settings = self.settings()
        return xs, {name: np.array([float(cost(int(x), settings)) for x in xs]) for name, cost in self.options.items()}

    def _changed(self, _change: Any) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Compute every option at the current sliders and draw the plot again."""
        from IPython.display import Image, display
        from matplotlib.figure import Figure

        try:
            xs, costs = self.curves()
        except Exception as error:  # the learner's function: say which and why, keep the panel alive
            self.error = f"{type(error).__name__}: {error}"
            self.message.value = (f"<b>비용 함수가 오류를 냈습니다</b>: {self.error}. "
                                  "과제 1~3의 함수를 고치고 셀을 다시 실행하십시오.")
            return
        self.error = None
        figure = Figure(figsize=(8, 4.2), dpi=100)
        axes = figure.subplots()
        for name, ys in costs.items():
            axes.plot(xs / 1e6, ys, label=name, linewidth=2)
        settings = self.settings()
        axes.set_title(f"월 비용: {settings['duration_ms']} ms, {settings['memory_mb']} MB, "
                       f"{settings['architecture']}, {settings['api'].upper()} API")
        axes.set_xlabel("월 요청 수(백만 건)")
        axes.set_ylabel("월 비용(USD)")
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left")
        figure.tight_layout()
        self.figure = figure
        at = {name: ys[-1] for name, ys in costs.items()}
        cheapest = min(at, key=at.get)
        self.message.value = (f"월 {xs[-1]:,}건에서 가장 싼 선택지: <b>{cheapest}</b> "
                              + ", ".join(f"{n} ${v:,.2f}" for n, v in at.items()))
        with self.output:
            self.output.clear_output(wait=True)
            display(Image(data=self.png(), format="png"))

    def png(self) -> bytes:
        """The last figure as PNG bytes (what the panel shows, whatever matplotlib's backend)."""
        import io

        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def cost_panel(options: Mapping[str, Cost], **start: Any) -> CostPanel:
    """A panel comparing `options` ({name: cost(requests, settings)}); `start` sets the sliders."""
    return CostPanel(options, **start)
