from ray._raylet import ActorID

class ActorHandle:
    _actor_id: ActorID
