from collections.abc import Callable
from typing import Any

class Sampler: ...
class Uniform(Sampler): ...

class LogUniform(Sampler):
    def __init__(self, base: object = ...) -> None: ...

class Normal(Sampler):
    mean: float
    sd: float
    def __init__(self, mean: float = 0.0, sd: float = 0.0) -> None: ...

class Quantized(Sampler):
    sampler: Sampler
    q: float | int
    def __init__(self, sampler: Sampler, q: float | int) -> None: ...
    def get_sampler(self) -> Sampler: ...

class Domain:
    sampler: Sampler | None
    def get_sampler(self) -> Sampler: ...
    @property
    def domain_str(self) -> str: ...

class Float(Domain):
    lower: float
    upper: float
    def __init__(self, lower: float | None, upper: float | None) -> None: ...

class Integer(Domain):
    lower: int
    upper: int
    def __init__(self, lower: int, upper: int) -> None: ...

class Categorical(Domain):
    categories: list[Any]
    def __init__(self, categories: Any) -> None: ...

class Function(Domain):
    func: Callable[..., Any]
    def __init__(self, func: Callable[..., Any]) -> None: ...
