-- What each file held when it was last hashed, so an unchanged file is not read again to
-- learn that it landed: a file whose path, size and modification time match its row keeps
-- that row's sha256. The sha256 stays the identity (audit.batches per source); this is
-- only a shortcut to it, and a file whose size or mtime changed is hashed again.
create table audit.file_hashes (
    path varchar primary key, size bigint not null, mtime_ns bigint not null,
    sha256 varchar not null, hashed_at timestamptz not null
);
