// Package fs is the filesystem provider of storage.Bucket, Sluice's default
// archive (<data-dir>/archive).
//
// An object with key "a/b/c" is the regular file <dir>/a/b/c, so the archive
// can be inspected and backed up with ordinary tools.
//
// Atomicity and durability: Put writes a temporary file in the object's
// directory, fsyncs it, renames it over the key and fsyncs the directory (and,
// when Put created directories, their parents up to the root). An object is
// therefore either absent, the old version or the complete new one, also
// after a crash or power loss; once Put returns nil it survives both.
// Temporary files are named "~sluice-*.tmp": '~' never occurs in a valid key,
// so they never show up in List, and Open removes those that a crash left
// behind.
//
// Confinement: besides storage.ValidKey, every file access goes through an
// os.Root opened on the directory, so no key, even through a symlink placed
// inside the directory, reaches a file outside it. List skips symlinks and
// entries whose names are not valid key segments.
//
// Limits: as on any filesystem, "a" and "a/b" cannot both be objects; the
// second Put of such a pair fails (S3 allows both; versitygw's posix backend
// does not). Most filesystems also refuse key segments over 255 bytes. A directory must be used by one Bucket
// (one process) at a time: Open removes temporary files it finds, including
// those of another live writer.
package fs
