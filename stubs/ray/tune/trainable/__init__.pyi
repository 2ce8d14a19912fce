from ray.tune.trainable.trainable import Trainable as Trainable
