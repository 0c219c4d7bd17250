//! Path conditions, looked up inside the scope's root: symlinks resolve inside the root,
//! mount points come from `/proc/self/mountinfo`.

use super::ConditionContext;
use crate::dirent::hidden_or_backup;
use crate::host::{cmdline_bool, RootFacts};
use crate::root::Root;
use nix::errno::Errno;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The host path of a logical path with every symlink resolved inside the root.
pub fn resolve(root: &Root, logical: &str) -> std::io::Result<PathBuf> {
    let canonical = root.canonicalize(Path::new(logical))?;
    Ok(root.host_path(&canonical))
}

pub fn metadata(root: &Root, logical: &str) -> Option<std::fs::Metadata> {
    std::fs::metadata(resolve(root, logical).ok()?).ok()
}

pub fn is_symlink(root: &Root, logical: &str) -> bool {
    let path = Path::new(logical);
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return false;
    };
    let Ok(parent) = resolve(root, &parent.to_string_lossy()) else {
        return false;
    };
    std::fs::symlink_metadata(parent.join(name)).is_ok_and(|m| m.file_type().is_symlink())
}

pub fn is_mount_point(root: &Root, logical: &str) -> bool {
    let Ok(canonical) = root.canonicalize(Path::new(logical)) else {
        return false;
    };
    // The root of the tree is the root of a container's file systems.
    if canonical == Path::new("/") {
        return true;
    }
    let host = root.host_path(&canonical);
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    mountinfo
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .any(|mount_point| Path::new(&unescape_octal(mount_point)) == host)
}

/// `/proc/self/mountinfo` escapes space, tab, newline and backslash as `\ooo`.
fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        if let (b'\\', Some(d)) = (b[i], octal) {
            let value =
                u16::from(d[0] - b'0') * 64 + u16::from(d[1] - b'0') * 8 + u16::from(d[2] - b'0');
            out.push(value as u8);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn is_read_write(root: &Root, logical: &str) -> bool {
    let Ok(host) = resolve(root, logical) else {
        return false;
    };
    match nix::sys::statvfs::statvfs(&host) {
        Ok(st) if st.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY) => false,
        Ok(_) => nix::unistd::access(&host, nix::unistd::AccessFlags::W_OK) != Err(Errno::EROFS),
        Err(e) => e != Errno::ENOENT,
    }
}

pub fn directory_not_empty(root: &Root, logical: &str) -> bool {
    let Ok(host) = resolve(root, logical) else {
        return false;
    };
    match std::fs::read_dir(&host) {
        Ok(entries) => entries
            .flatten()
            .any(|e| !hidden_or_backup(&e.file_name().to_string_lossy())),
        // systemd counts a directory it may not read as not empty.
        Err(e) => !matches!(e.raw_os_error(), Some(libc::ENOENT) | Some(libc::ENOTDIR)),
    }
}

pub fn needs_update(ctx: &ConditionContext, p: &str) -> Result<bool, Errno> {
    if let Some(forced) = ctx
        .host
        .kernel_cmdline()
        .and_then(|l| cmdline_bool(l, "systemd.condition-needs-update"))
    {
        return Ok(forced);
    }
    let root = &ctx.scope.root;
    if (RootFacts { root }).in_initrd() {
        return Ok(false);
    }
    if !p.starts_with('/') {
        return Ok(true);
    }
    if let Ok(host) = resolve(root, p) {
        if nix::sys::statvfs::statvfs(&host)
            .is_ok_and(|s| s.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY))
        {
            return Ok(false);
        }
    }
    let stamp = root.host_path(&Path::new(p).join(".updated"));
    let Ok(other) = std::fs::symlink_metadata(&stamp) else {
        return Ok(true);
    };
    let Ok(usr) = std::fs::symlink_metadata(root.host_path(Path::new("/usr"))) else {
        return Ok(true);
    };
    if usr.mtime() != other.mtime() {
        return Ok(usr.mtime() > other.mtime());
    }
    if usr.mtime_nsec() == 0 || other.mtime_nsec() > 0 {
        return Ok(usr.mtime_nsec() > other.mtime_nsec());
    }
    // A file system without nanosecond timestamps: the stamp file records them.
    let text = std::fs::read_to_string(&stamp).unwrap_or_default();
    let recorded = crate::unit::env::parse_environment_file(&text)
        .0
        .get("TIMESTAMP_NSEC")
        .and_then(|v| v.parse::<i128>().ok());
    let usr_nsec = i128::from(usr.mtime()) * 1_000_000_000 + i128::from(usr.mtime_nsec());
    Ok(match recorded {
        Some(r) => usr_nsec > r,
        None => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape_octal("/mnt/a\\040b"), "/mnt/a b");
        assert_eq!(unescape_octal("/plain"), "/plain");
        assert_eq!(unescape_octal("/x\\"), "/x\\");
    }
}
