from ray._raylet import ActorID

class ActorHandle:
    @property
    def _actor_id(self) -> ActorID: ...
