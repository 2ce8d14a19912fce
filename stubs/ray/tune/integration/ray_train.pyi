from ray.train import UserCallback

class TuneReportCallback(UserCallback):
    def __init__(self) -> None: ...
