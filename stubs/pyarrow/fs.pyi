class FileSystem:
    @property
    def type_name(self) -> str: ...
    def create_dir(self, path: str, *, recursive: bool = True) -> None: ...

def copy_files(
    source: str,
    destination: str,
    source_filesystem: FileSystem | None = None,
    destination_filesystem: FileSystem | None = None,
    *,
    chunk_size: int = 1048576,
    use_threads: bool = True,
) -> None: ...

class LocalFileSystem(FileSystem):
    def __init__(self) -> None: ...

class SubTreeFileSystem(FileSystem):
    def __init__(self, base_path: str, base_fs: FileSystem) -> None: ...

class S3FileSystem(FileSystem):
    def __init__(
        self,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
        scheme: str | None = None,
        endpoint_override: str | None = None,
        allow_bucket_creation: bool = False,
    ) -> None: ...
