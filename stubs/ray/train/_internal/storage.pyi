import os

from _typeshed import Incomplete

class StorageContext:
    def __init__(
        self,
        storage_path: str | os.PathLike[str],
        experiment_dir_name: str,
        sync_config: Incomplete | None = None,
        storage_filesystem: Incomplete | None = None,
        trial_dir_name: str | None = None,
        current_checkpoint_index: int = -1,
    ) -> None: ...
    storage_filesystem: Incomplete
    storage_fs_path: str
    experiment_dir_name: str
    trial_dir_name: str | None
    @property
    def experiment_fs_path(self) -> str: ...
    @property
    def experiment_driver_staging_path(self) -> str: ...
    @property
    def trial_fs_path(self) -> str: ...
    @property
    def trial_driver_staging_path(self) -> str: ...
    @property
    def trial_working_directory(self) -> str: ...
