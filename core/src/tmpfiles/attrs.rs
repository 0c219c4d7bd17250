//! The attribute lines: `t`/`T` extended attributes, `h`/`H` file attributes (chattr), and
//! `a`/`A` ACLs (not applied yet: a warning for each file an ACL line matches).

use super::create::{fail, m};
use super::Item;
use std::fs;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The warning for `a`/`A` lines.
pub const ACL_WARNING: &str = "ACLs are not supported. Ignoring.";

/// `fd_set_xattrs()`.
pub fn set_xattrs(item: &Item, path: &Path) -> bool {
    for (name, value) in &item.xattrs {
        if let Err(e) = crate::sys::lsetxattr(path, name, value.as_bytes()) {
            return fail(format!(
                "Setting extended attribute {name}={value} on {} failed: {}",
                path.display(),
                m(&e)
            ));
        }
    }
    true
}

/// ACL lines are not applied: one warning per line that matches any file.
pub fn set_acl(_item: &Item, matched: &[std::path::PathBuf]) -> bool {
    if !matched.is_empty() {
        eprintln!("{ACL_WARNING}");
    }
    true
}

/// `fd_set_attribute()`: regular files and directories only; a file system without
/// support (tmpfs, overlayfs) is not an error.
pub fn set_attributes(item: &Item, path: &Path) -> bool {
    let Some((value, mask)) = item.attributes else {
        return true;
    };
    if mask == 0 {
        return true;
    }
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) => return fail(format!("fstat({}) failed: {}", path.display(), m(&e))),
    };
    if !meta.is_file() && !meta.is_dir() {
        return fail(format!(
            "Setting file flags is only supported on regular files and directories, cannot set on '{}'.",
            path.display()
        ));
    }
    let mut wanted = value & mask;
    if !meta.is_dir() {
        wanted &= !0x10000; // FS_DIRSYNC_FL
    }
    let file = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) => return fail(format!("Failed to re-open '{}': {}", path.display(), m(&e))),
    };
    if let Err(e) = crate::sys::change_file_flags(&file, wanted, mask) {
        let unsupported = matches!(
            e.raw_os_error(),
            Some(libc::ENOTTY) | Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) | Some(libc::EINVAL)
        );
        if !unsupported {
            eprintln!(
                "Cannot set file attributes for '{}', value=0x{value:08x}, mask=0x{mask:08x}, ignoring: {}",
                path.display(),
                m(&e)
            );
        }
    }
    true
}
