from typing import Any

class PlacementGroupFactory:
    def __init__(
        self,
        bundles: list[dict[str, int | float]],
        strategy: str = "PACK",
        *args: Any,
        **kwargs: Any,
    ) -> None: ...
