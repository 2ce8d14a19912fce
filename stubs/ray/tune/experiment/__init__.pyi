from ray.tune.experiment.trial import Trial as Trial
