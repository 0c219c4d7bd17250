//! The create actions (252's `create_item()`): files, directories, fifos, symlinks,
//! device nodes, copies, writes, and the permission fix-up `fd_set_perms()` every one of
//! them ends with. Each prints 252's message and returns `false` on failure.

use super::{attrs, clean, Item, Kind, Options};
use crate::error::os_error_text;
use std::fs::{self, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub(super) fn fail(message: String) -> bool {
    eprintln!("{message}");
    false
}

pub(super) fn m(e: &io::Error) -> String {
    os_error_text(e)
}

/// The paths a glob item's pattern matches now (on the host: the pattern carries `--root`).
pub(super) fn glob(item: &Item) -> Vec<PathBuf> {
    crate::condition::glob::glob_paths(&crate::root::Root::host(), &item.path)
}

/// `process_mask_perms()`: `~MODE` keeps only the classes the file already grants.
fn mask_perms(mode: u32, current: u32) -> u32 {
    let mut mode = mode;
    for bits in [0o111, 0o222, 0o444] {
        if current & bits == 0 {
            mode &= !bits;
        }
    }
    if current & libc::S_IFMT != libc::S_IFDIR {
        mode &= !0o7000;
    }
    mode
}

/// `fd_set_perms()`: owner and mode as configured. `follow`: `path` was opened through a
/// final symlink (`w`, directories), so the target is changed, not the link.
/// `created`: this run made the inode (`:` fields apply only then).
pub(super) fn set_perms(item: &Item, path: &Path, follow: bool, created: bool) -> bool {
    let keep = |only_create: bool| only_create && !created;
    let uid = item.uid.filter(|_| !keep(item.uid_only_create));
    let gid = item.gid.filter(|_| !keep(item.gid_only_create));
    let mode_set = item.mode_set && !keep(item.mode_only_create);
    if !mode_set && uid.is_none() && gid.is_none() {
        return true;
    }
    let shown = path.display();
    let st = match if follow {
        fs::metadata(path)
    } else {
        fs::symlink_metadata(path)
    } {
        Ok(st) => st,
        Err(e) => return fail(format!("fstat({shown}) failed: {}", m(&e))),
    };
    let is_link = st.file_type().is_symlink();
    let do_chown = uid.is_some_and(|u| u != st.uid()) || gid.is_some_and(|g| g != st.gid());
    let new_mode = if mode_set {
        if item.mask_perms {
            mask_perms(item.mode, st.mode())
        } else {
            item.mode
        }
    } else {
        st.mode() & 0o7777
    };
    let chmod = |mode: u32| fs::set_permissions(path, fs::Permissions::from_mode(mode));
    if mode_set && do_chown && !is_link {
        let temporary = new_mode & st.mode();
        if (temporary ^ st.mode()) & 0o7777 != 0 {
            if let Err(e) = chmod(temporary & 0o7777) {
                return fail(format!("fchmod() of {shown} failed: {}", m(&e)));
            }
        }
    }
    if do_chown {
        let r = if follow {
            std::os::unix::fs::chown(path, uid, gid)
        } else {
            std::os::unix::fs::lchown(path, uid, gid)
        };
        if let Err(e) = r {
            return fail(format!("fchownat() of {shown} failed: {}", m(&e)));
        }
    }
    if (mode_set || do_chown) && !is_link && (do_chown || (new_mode ^ st.mode()) & 0o7777 != 0) {
        if let Err(e) = chmod(new_mode) {
            return fail(format!("fchmod() of {shown} failed: {}", m(&e)));
        }
    }
    true
}

fn file_type_bits(meta: &Metadata) -> u32 {
    meta.mode() & libc::S_IFMT
}

/// `mkdir_parents_item()`: the parent directories (0755); with `=`, whatever is in the way
/// of the path (or of a parent) and of the wrong type is removed first.
fn mkdir_parents(item: &Item, child_type: Option<u32>) -> bool {
    let path = Path::new(&item.path);
    if !item.try_replace {
        if let Some(parent) = path.parent() {
            let _ = fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent);
        }
        return true;
    }
    let mut at = PathBuf::from("/");
    let parts: Vec<_> = path.components().skip(1).collect();
    for (n, part) in parts.iter().enumerate() {
        at.push(part);
        let last = n + 1 == parts.len();
        if last {
            return match child_type {
                Some(t) => remove_if_wrong_type(&at, t, false),
                None => true,
            };
        }
        if !remove_if_wrong_type(&at, libc::S_IFDIR, true) {
            return false;
        }
        if fs::symlink_metadata(&at).is_err() {
            if let Err(e) = fs::DirBuilder::new().mode(0o755).create(&at) {
                let parent = at.parent().unwrap_or(Path::new("/")).display().to_string();
                let name = part.as_os_str().to_string_lossy();
                return fail(format!(
                    "Failed to mkdir \"{name}\" at \"{parent}\": {}",
                    m(&e)
                ));
            }
        }
    }
    true
}

/// `rm_if_wrong_type_safe()`: `rm -rf` of `path` unless it is of type `want` (through a
/// final symlink when `follow`; a dangling symlink is removed).
fn remove_if_wrong_type(path: &Path, want: u32, follow: bool) -> bool {
    let meta = if follow {
        fs::metadata(path).or_else(|_| fs::symlink_metadata(path))
    } else {
        fs::symlink_metadata(path)
    };
    let Ok(meta) = meta else {
        return true;
    };
    if file_type_bits(&meta) == want {
        return true;
    }
    let parent = path
        .parent()
        .unwrap_or(Path::new("/"))
        .display()
        .to_string();
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    eprintln!(
        "Wrong file type 0o{:o}; rm -rf \"{parent}/{name}\"",
        file_type_bits(&meta)
    );
    match clean::rm_rf(path, true) {
        Ok(()) => true,
        Err(e) => fail(format!(
            "Failed to remove \"{name}\" at \"{parent}\": {}",
            m(&e)
        )),
    }
}

fn open_new(
    path: &Path,
    mode: u32,
    flags: i32,
    create: bool,
    exclusive: bool,
) -> io::Result<fs::File> {
    OpenOptions::new()
        .write(true)
        .create(create && !exclusive)
        .create_new(create && exclusive)
        .mode(mode)
        .custom_flags(flags | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
}

/// `f`: create with content if missing; an existing regular file only gets its perms.
fn create_file(item: &Item) -> bool {
    let path = Path::new(&item.path);
    let mut created = true;
    match open_new(path, item.mode, libc::O_NOFOLLOW, true, true) {
        Ok(mut file) => {
            if let Some(arg) = item.content() {
                if let Err(e) = file.write_all(arg) {
                    return fail(format!("Failed to write file \"{}\": {}", item.path, m(&e)));
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match fs::symlink_metadata(path) {
            Ok(st) if st.file_type().is_file() => created = false,
            Ok(_) => return fail(format!("{} exists and is not a regular file.", item.path)),
            Err(e) => return fail(format!("stat({}) failed: {}", item.path, m(&e))),
        },
        Err(e) => return fail(format!("Failed to create file {}: {}", item.path, m(&e))),
    }
    set_perms(item, path, false, created)
}

/// `f+`/`F`: create or truncate, then write the content.
fn truncate_file(item: &Item) -> bool {
    let path = Path::new(&item.path);
    let created = fs::symlink_metadata(path).is_err();
    let mut file = match open_new(path, item.mode, libc::O_NOFOLLOW, true, false) {
        Ok(f) => f,
        Err(e) => {
            return fail(format!(
                "Failed to open/create file {}: {}",
                item.path,
                m(&e)
            ))
        }
    };
    match file.metadata() {
        Ok(st) if st.file_type().is_file() => {
            if st.len() > 0 {
                if let Err(e) = file.set_len(0) {
                    return fail(format!("Failed to truncate file {}: {}", item.path, m(&e)));
                }
            }
        }
        Ok(_) => return fail(format!("{} exists and is not a regular file.", item.path)),
        Err(e) => return fail(format!("stat({}) failed: {}", item.path, m(&e))),
    }
    if let Some(arg) = item.content() {
        if let Err(e) = file.write_all(arg) {
            return fail(format!("Failed to write file {}: {}", item.path, m(&e)));
        }
    }
    set_perms(item, path, false, created)
}

/// `w`/`w+`: write into an existing file (through symlinks); a missing one is skipped.
fn write_one_file(item: &Item, path: &Path) -> bool {
    let flags = if item.append_or_force {
        libc::O_APPEND
    } else {
        0
    };
    let mut file = match open_new(path, item.mode, flags, false, false) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return true,
        Err(_) if item.allow_failure => return true,
        Err(e) => {
            return fail(format!(
                "Failed to open file \"{}\": {}",
                path.display(),
                m(&e)
            ))
        }
    };
    if let Err(e) = file.write_all(item.content().unwrap_or_default()) {
        return fail(format!(
            "Failed to write file \"{}\": {}",
            path.display(),
            m(&e)
        ));
    }
    set_perms(item, path, true, false)
}

/// `d D v q Q`: `mkdir`, an existing directory is kept (btrfs subvolumes are plain
/// directories here: 252 makes them only when the root itself is a subvolume).
fn create_directory(item: &Item) -> bool {
    let path = Path::new(&item.path);
    let mut created = true;
    match fs::DirBuilder::new().mode(item.mode).create(path) {
        Ok(()) => {}
        Err(e) if matches!(e.raw_os_error(), Some(libc::EEXIST) | Some(libc::EROFS)) => {
            if e.raw_os_error() == Some(libc::EROFS) && fs::symlink_metadata(path).is_err() {
                return fail(format!(
                    "{} does not exist and cannot be created as the file system is read-only.",
                    item.path
                ));
            }
            created = false;
            if !fs::metadata(path).is_ok_and(|st| st.is_dir()) {
                eprintln!("\"{}\" already exists and is not a directory.", item.path);
                return true;
            }
        }
        Err(e) => {
            return fail(format!(
                "Failed to create directory or subvolume \"{}\": {}",
                item.path,
                m(&e)
            ))
        }
    }
    set_perms(item, path, true, created)
}

/// `e`: an existing directory gets its perms (cleaning is `--clean`'s).
fn empty_directory(item: &Item, path: &Path) -> bool {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => true,
        Err(e) => fail(format!(
            "is_dir() failed on path {}: {}",
            path.display(),
            m(&e)
        )),
        Ok(st) if !st.is_dir() => {
            eprintln!(
                "\"{}\" already exists and is not a directory.",
                path.display()
            );
            true
        }
        Ok(_) => set_perms(item, path, false, false),
    }
}

/// A temporary name next to `path` for the atomic replacements of `+` lines.
fn temp_beside(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".#{name}{:x}", std::process::id()))
}

/// What [`create_node`] says for one node type.
struct NodeText {
    failed: &'static str,
    replace_failed: &'static str,
    wrong_type: &'static str,
}

/// `p` and `c`/`b`: `make` the node; an existing one of the right type is kept, another
/// type is replaced atomically with `+`, else warned about. `EPERM` skips (devices).
fn create_node(
    item: &Item,
    make: &dyn Fn(&Path) -> nix::Result<()>,
    right_type: &dyn Fn(&Metadata) -> bool,
    follow: bool,
    text: NodeText,
    skip_eperm: bool,
) -> bool {
    let path = Path::new(&item.path);
    let mut created = true;
    match make(path) {
        Ok(()) => {}
        Err(nix::errno::Errno::EPERM) if skip_eperm => return true,
        Err(nix::errno::Errno::EEXIST) => {
            let meta = if follow {
                fs::metadata(path)
            } else {
                fs::symlink_metadata(path)
            };
            match meta {
                Ok(st) if right_type(&st) => created = false,
                Ok(_) if item.append_or_force => {
                    let tmp = temp_beside(path);
                    let r = make(&tmp)
                        .map_err(io::Error::from)
                        .and_then(|_| fs::rename(&tmp, path));
                    if let Err(e) = r {
                        let _ = fs::remove_file(&tmp);
                        return fail(format!("{} {}: {}", text.replace_failed, item.path, m(&e)));
                    }
                }
                Ok(_) => {
                    eprintln!("\"{}\" {}", item.path, text.wrong_type);
                    return true;
                }
                Err(e) => return fail(format!("stat({}) failed: {}", item.path, m(&e))),
            }
        }
        Err(e) => return fail(format!("{} {}: {}", text.failed, item.path, m(&e.into()))),
    }
    set_perms(item, path, false, created)
}

/// `p`/`p+`: a fifo; `+` replaces another file type.
fn create_fifo(item: &Item) -> bool {
    let mode = nix::sys::stat::Mode::from_bits_truncate(item.mode);
    create_node(
        item,
        &|p| nix::unistd::mkfifo(p, mode),
        &|st| st.file_type().is_fifo(),
        false,
        NodeText {
            failed: "Failed to create fifo",
            replace_failed: "Failed to create fifo",
            wrong_type: "already exists and is not a fifo.",
        },
        false,
    )
}

/// `L`/`L+`: a symlink; `+` replaces whatever is there (a directory recursively).
fn create_symlink(item: &Item) -> bool {
    let path = Path::new(&item.path);
    let target = item.argument.as_deref().unwrap_or("");
    let failed = |e: &io::Error| fail(format!("symlink({target}, {}) failed: {}", item.path, m(e)));
    match std::os::unix::fs::symlink(target, path) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if fs::read_link(path).is_ok_and(|t| t.as_os_str() == target) {
                return true;
            }
            if !item.append_or_force {
                return true;
            }
            let tmp = temp_beside(path);
            let mut r =
                std::os::unix::fs::symlink(target, &tmp).and_then(|_| fs::rename(&tmp, path));
            if r.is_err() {
                let _ = fs::remove_file(&tmp);
                if let Err(e) = clean::rm_rf(path, true) {
                    return fail(format!("rm -fr {} failed: {}", item.path, m(&e)));
                }
                r = std::os::unix::fs::symlink(target, path);
            }
            match r {
                Ok(()) => true,
                Err(e) => failed(&e),
            }
        }
        Err(e) => failed(&e),
    }
}

/// Whether this process may create device nodes (`CAP_MKNOD` in the effective set).
fn have_cap_mknod() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << 27) != 0)
}

/// `c`/`b`: device nodes, skipped without `CAP_MKNOD` (a container) or on `EPERM`.
fn create_device(item: &Item) -> bool {
    let kind = if item.kind == Kind::CreateBlockDevice {
        nix::sys::stat::SFlag::S_IFBLK
    } else {
        nix::sys::stat::SFlag::S_IFCHR
    };
    let mode = nix::sys::stat::Mode::from_bits_truncate(item.mode);
    let dev = item.major_minor as libc::dev_t;
    create_node(
        item,
        &|p| nix::sys::stat::mknod(p, kind, mode, dev),
        &|st| file_type_bits(st) == kind.bits(),
        true,
        NodeText {
            failed: "Failed to create device node",
            replace_failed: "Failed to create device node",
            wrong_type: "already exists is not a device node.",
        },
        true,
    )
}

/// `C`: copy the source tree if the target is missing (or an empty directory).
fn copy_files(item: &Item) -> bool {
    let path = Path::new(&item.path);
    let source = PathBuf::from(item.argument.as_deref().unwrap_or(""));
    let target_meta = fs::symlink_metadata(path).ok();
    let empty_dir = target_meta.as_ref().is_some_and(|t| t.is_dir())
        && fs::read_dir(path).is_ok_and(|mut d| d.next().is_none());
    let created = target_meta.is_none() || empty_dir;
    if created {
        if let Err(e) = copy_tree(&source, path, item.uid, item.gid, empty_dir) {
            return fail(format!("Failed to copy files to {}: {}", item.path, m(&e)));
        }
    } else {
        let a = match fs::metadata(&source) {
            Ok(a) => a,
            Err(e) => return fail(format!("stat({}) failed: {}", source.display(), m(&e))),
        };
        if target_meta.is_some_and(|b| file_type_bits(&a) != file_type_bits(&b)) {
            return true;
        }
    }
    set_perms(item, path, false, created)
}

/// `copy_tree_at()`: contents, modes, owners (or the line's), symlinks, modification times.
fn copy_tree(
    from: &Path,
    to: &Path,
    uid: Option<u32>,
    gid: Option<u32>,
    merge: bool,
) -> io::Result<()> {
    let meta = fs::symlink_metadata(from)?;
    let ft = meta.file_type();
    if ft.is_dir() {
        if !merge {
            fs::DirBuilder::new()
                .mode(meta.mode() & 0o7777)
                .create(to)?;
        }
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()), uid, gid, false)?;
        }
    } else if ft.is_symlink() {
        std::os::unix::fs::symlink(fs::read_link(from)?, to)?;
    } else if ft.is_file() {
        let mut src = fs::File::open(from)?;
        let mut dst = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(meta.mode() & 0o7777)
            .open(to)?;
        io::copy(&mut src, &mut dst)?;
    } else {
        let kind = nix::sys::stat::SFlag::from_bits_truncate(file_type_bits(&meta));
        let mode = nix::sys::stat::Mode::from_bits_truncate(meta.mode() & 0o7777);
        nix::sys::stat::mknod(to, kind, mode, meta.rdev() as libc::dev_t)?;
    }
    std::os::unix::fs::lchown(
        to,
        Some(uid.unwrap_or(meta.uid())),
        Some(gid.unwrap_or(meta.gid())),
    )?;
    if !ft.is_symlink() {
        fs::set_permissions(to, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        let times = fs::FileTimes::new()
            .set_accessed(meta.accessed()?)
            .set_modified(meta.modified()?);
        if ft.is_dir() || ft.is_file() {
            fs::File::open(to)?.set_times(times)?;
        }
    }
    Ok(())
}

/// `glob_item_recursively()`'s walk: `action` on the path and, below a directory, on every
/// entry (symlinks themselves, never their targets).
pub(super) fn recursively(path: &Path, action: &mut dyn FnMut(&Path) -> bool) -> bool {
    let mut ok = action(path);
    if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        match fs::read_dir(path) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    ok &= recursively(&entry.path(), action);
                }
            }
            Err(e) => {
                ok = fail(format!(
                    "Failed to opendir() '{}': {}",
                    path.display(),
                    m(&e)
                ));
            }
        }
    }
    ok
}

/// `create_item()`.
pub fn create_item(item: &Item, opts: &Options) -> bool {
    let _ = opts;
    use Kind::*;
    let each = |f: &mut dyn FnMut(&Path) -> bool| glob(item).iter().filter(|p| !f(p)).count() == 0;
    match item.kind {
        IgnorePath | IgnoreDirectoryPath | RemovePath | RecursiveRemovePath => true,
        CreateFile | TruncateFile => {
            if !mkdir_parents(item, Some(libc::S_IFREG)) {
                return false;
            }
            if item.kind == TruncateFile || item.append_or_force {
                truncate_file(item)
            } else {
                create_file(item)
            }
        }
        CopyFiles => mkdir_parents(item, None) && copy_files(item),
        WriteFile => each(&mut |p| write_one_file(item, p)),
        CreateDirectory
        | TruncateDirectory
        | CreateSubvolume
        | CreateSubvolumeInheritQuota
        | CreateSubvolumeNewQuota => {
            mkdir_parents(item, Some(libc::S_IFDIR)) && create_directory(item)
        }
        EmptyDirectory => each(&mut |p| empty_directory(item, p)),
        CreateFifo => mkdir_parents(item, Some(libc::S_IFIFO)) && create_fifo(item),
        CreateSymlink => mkdir_parents(item, Some(libc::S_IFLNK)) && create_symlink(item),
        CreateCharDevice | CreateBlockDevice => {
            if !have_cap_mknod() {
                return true;
            }
            let t = if item.kind == CreateBlockDevice {
                libc::S_IFBLK
            } else {
                libc::S_IFCHR
            };
            mkdir_parents(item, Some(t)) && create_device(item)
        }
        AdjustMode | RelabelPath => each(&mut |p| set_perms(item, p, false, false)),
        RecursiveRelabelPath => {
            each(&mut |p| recursively(p, &mut |q| set_perms(item, q, false, false)))
        }
        SetXattr => each(&mut |p| attrs::set_xattrs(item, p)),
        RecursiveSetXattr => each(&mut |p| recursively(p, &mut |q| attrs::set_xattrs(item, q))),
        SetAcl | RecursiveSetAcl => attrs::set_acl(item, &glob(item)),
        SetAttribute => each(&mut |p| attrs::set_attributes(item, p)),
        RecursiveSetAttribute => {
            each(&mut |p| recursively(p, &mut |q| attrs::set_attributes(item, q)))
        }
    }
}
