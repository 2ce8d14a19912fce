from _typeshed import Incomplete

class StorageContext:
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
