//! systemd-tmpfiles (tmpfiles.d(5) of systemd 252): reading the configuration
//! ([`config`]), one line into an [`Item`] ([`parse`]), specifiers ([`spec`]), the create
//! actions ([`create`]), removing and cleaning by age ([`clean`]), and the attribute lines
//! (`t T a A h H`, [`attrs`]). [`run`] is the whole command: parse every file, link items to
//! their parents, then remove/clean and create in 252's order, with its exit codes
//! (65 `EX_DATAERR` for bad lines, 73 `EX_CANTCREAT` for failed actions).
//!
//! As in 252 the paths an item acts on are the configured paths joined to `--root`
//! ([`Item::path`]), and messages print them that way.

pub mod attrs;
pub mod clean;
pub mod config;
pub mod create;
pub mod parse;
pub mod spec;

use crate::root::Root;
use std::collections::HashMap;

/// The line types (tmpfiles.d(5) "Type"), named as 252's `ItemType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    CreateFile,
    TruncateFile,
    CreateDirectory,
    TruncateDirectory,
    CreateSubvolume,
    CreateSubvolumeInheritQuota,
    CreateSubvolumeNewQuota,
    CreateFifo,
    CreateSymlink,
    CreateCharDevice,
    CreateBlockDevice,
    CopyFiles,
    WriteFile,
    EmptyDirectory,
    SetXattr,
    RecursiveSetXattr,
    SetAcl,
    RecursiveSetAcl,
    SetAttribute,
    RecursiveSetAttribute,
    IgnorePath,
    IgnoreDirectoryPath,
    RemovePath,
    RecursiveRemovePath,
    RelabelPath,
    RecursiveRelabelPath,
    AdjustMode,
}

const KINDS: &[(char, Kind)] = &[
    ('f', Kind::CreateFile),
    ('F', Kind::TruncateFile),
    ('d', Kind::CreateDirectory),
    ('D', Kind::TruncateDirectory),
    ('v', Kind::CreateSubvolume),
    ('q', Kind::CreateSubvolumeInheritQuota),
    ('Q', Kind::CreateSubvolumeNewQuota),
    ('p', Kind::CreateFifo),
    ('L', Kind::CreateSymlink),
    ('c', Kind::CreateCharDevice),
    ('b', Kind::CreateBlockDevice),
    ('C', Kind::CopyFiles),
    ('w', Kind::WriteFile),
    ('e', Kind::EmptyDirectory),
    ('t', Kind::SetXattr),
    ('T', Kind::RecursiveSetXattr),
    ('a', Kind::SetAcl),
    ('A', Kind::RecursiveSetAcl),
    ('h', Kind::SetAttribute),
    ('H', Kind::RecursiveSetAttribute),
    ('x', Kind::IgnorePath),
    ('X', Kind::IgnoreDirectoryPath),
    ('r', Kind::RemovePath),
    ('R', Kind::RecursiveRemovePath),
    ('z', Kind::RelabelPath),
    ('Z', Kind::RecursiveRelabelPath),
    ('m', Kind::AdjustMode),
];

impl Kind {
    pub fn from_char(c: char) -> Option<Kind> {
        KINDS.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
    }

    pub fn as_char(self) -> char {
        KINDS
            .iter()
            .find(|(_, v)| *v == self)
            .map_or('?', |(k, _)| *k)
    }

    /// `needs_glob()`: the types whose path is a pattern.
    pub fn needs_glob(self) -> bool {
        use Kind::*;
        matches!(
            self,
            WriteFile
                | IgnorePath
                | IgnoreDirectoryPath
                | RemovePath
                | RecursiveRemovePath
                | EmptyDirectory
                | AdjustMode
                | RelabelPath
                | RecursiveRelabelPath
                | SetXattr
                | RecursiveSetXattr
                | SetAcl
                | RecursiveSetAcl
                | SetAttribute
                | RecursiveSetAttribute
        )
    }

    /// `takes_ownership()`: the types that make the node (they sort first on one path).
    pub fn takes_ownership(self) -> bool {
        use Kind::*;
        matches!(
            self,
            CreateFile
                | TruncateFile
                | CreateDirectory
                | EmptyDirectory
                | TruncateDirectory
                | CreateSubvolume
                | CreateSubvolumeInheritQuota
                | CreateSubvolumeNewQuota
                | CreateFifo
                | CreateSymlink
                | CreateCharDevice
                | CreateBlockDevice
                | CopyFiles
                | WriteFile
                | IgnorePath
                | IgnoreDirectoryPath
                | RemovePath
                | RecursiveRemovePath
        )
    }

    /// The types whose default mode is 0755.
    pub fn is_directory_like(self) -> bool {
        use Kind::*;
        matches!(
            self,
            CreateDirectory
                | TruncateDirectory
                | CreateSubvolume
                | CreateSubvolumeInheritQuota
                | CreateSubvolumeNewQuota
        )
    }
}

pub const OP_CREATE: u8 = 1;
pub const OP_REMOVE: u8 = 2;
pub const OP_CLEAN: u8 = 4;

/// One parsed line.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: Kind,
    /// The configured path (specifiers resolved, simplified), without `--root`.
    pub logical: String,
    /// The path acted on: [`Item::logical`] joined to `--root`.
    pub path: String,
    pub argument: Option<String>,
    pub xattrs: Vec<(String, String)>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub mode: u32,
    pub mode_set: bool,
    pub mask_perms: bool,
    pub age: Option<u64>,
    pub age_by_file: u8,
    pub age_by_dir: u8,
    pub keep_first_level: bool,
    pub major_minor: u64,
    /// `h`/`H`: (value, mask) of the file attribute flags.
    pub attributes: Option<(u32, u32)>,
    /// `~`/`^`: the content to write, decoded or read from a credential.
    pub binary: Option<Vec<u8>>,
    /// `:` before the user, group or mode: applied only when this run creates the inode.
    pub uid_only_create: bool,
    pub gid_only_create: bool,
    pub mode_only_create: bool,
    pub append_or_force: bool,
    pub allow_failure: bool,
    pub try_replace: bool,
    done: u8,
}

impl Item {
    /// The bytes `f`/`w` lines write.
    pub fn content(&self) -> Option<&[u8]> {
        self.binary
            .as_deref()
            .or(self.argument.as_deref().map(str::as_bytes))
    }

    pub fn new(kind: Kind, logical: String) -> Item {
        Item {
            kind,
            path: logical.clone(),
            logical,
            argument: None,
            xattrs: Vec::new(),
            uid: None,
            gid: None,
            mode: 0o644,
            mode_set: false,
            mask_perms: false,
            age: None,
            age_by_file: parse::AGE_BY_DEFAULT_FILE,
            age_by_dir: parse::AGE_BY_DEFAULT_DIR,
            keep_first_level: false,
            major_minor: 0,
            attributes: None,
            binary: None,
            uid_only_create: false,
            gid_only_create: false,
            mode_only_create: false,
            append_or_force: false,
            allow_failure: false,
            try_replace: false,
            done: 0,
        }
    }

    /// `item_compatible()`: two lines for one path that agree (else the later is a
    /// duplicate).
    fn compatible(&self, b: &Item) -> bool {
        if !(self.kind.takes_ownership() && b.kind.takes_ownership()) {
            return true;
        }
        self.argument == b.argument
            && self.uid == b.uid
            && self.gid == b.gid
            && self.mode_set == b.mode_set
            && self.mode == b.mode
            && self.age == b.age
            && self.age_by_file == b.age_by_file
            && self.age_by_dir == b.age_by_dir
            && self.mask_perms == b.mask_perms
            && self.keep_first_level == b.keep_first_level
            && self.major_minor == b.major_minor
    }
}

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub root: Root,
    pub user: bool,
    pub boot: bool,
    pub operations: u8,
    pub include_prefixes: Vec<String>,
    pub exclude_prefixes: Vec<String>,
    pub replace: Option<String>,
}

impl Options {
    pub fn new(root: Root) -> Options {
        Options {
            root,
            user: false,
            boot: false,
            operations: 0,
            include_prefixes: Vec::new(),
            exclude_prefixes: Vec::new(),
            replace: None,
        }
    }

    /// `path_join(arg_root, path)` as text (the path itself without `--root`).
    pub fn root_join(&self, path: &str) -> String {
        if self.root.is_host() {
            path.to_string()
        } else {
            self.root
                .host_path(std::path::Path::new(path))
                .to_string_lossy()
                .into_owned()
        }
    }
}

/// The items of one path (252's `ItemArray`), sorted ownership-takers first.
#[derive(Debug, Default)]
pub struct ItemArray {
    pub items: Vec<Item>,
    parent: Option<(bool, usize)>,
    children: Vec<(bool, usize)>,
}

/// Both maps of 252 (`items` and `globs`), in insertion order.
#[derive(Debug, Default)]
pub struct Items {
    pub plain: Vec<ItemArray>,
    pub globs: Vec<ItemArray>,
    plain_index: HashMap<String, usize>,
    glob_index: HashMap<String, usize>,
}

impl Items {
    /// Adds a parsed item; `false` when it is a duplicate (the caller prints the notice).
    pub fn add(&mut self, item: Item) -> bool {
        let glob = item.kind.needs_glob();
        let (arrays, index) = if glob {
            (&mut self.globs, &mut self.glob_index)
        } else {
            (&mut self.plain, &mut self.plain_index)
        };
        let at = match index.get(&item.path) {
            Some(&at) => {
                if !item.append_or_force && arrays[at].items.iter().any(|e| !e.compatible(&item)) {
                    return false;
                }
                at
            }
            None => {
                arrays.push(ItemArray::default());
                index.insert(item.path.clone(), arrays.len() - 1);
                arrays.len() - 1
            }
        };
        let list = &mut arrays[at].items;
        list.push(item);
        list.sort_by(|a, b| {
            b.kind
                .takes_ownership()
                .cmp(&a.kind.takes_ownership())
                .then(a.kind.as_char().cmp(&b.kind.as_char()))
        });
        true
    }

    /// The item configured for exactly `path` (`ordered_hashmap_get(items, …)`).
    pub fn has_plain(&self, path: &str) -> bool {
        self.plain_index.contains_key(path)
    }

    /// `find_glob()`: whether a glob item matches `path`.
    pub fn glob_matches(&self, path: &str) -> bool {
        self.globs
            .iter()
            .flat_map(|a| &a.items)
            .any(|i| clean::fnmatch_path(&i.path, path))
    }

    /// `link_parent()` for every array: the closest configured prefix is its parent.
    fn link_parents(&mut self) {
        let mut links = Vec::new();
        for (glob, arrays) in [(false, &self.plain), (true, &self.globs)] {
            for (n, array) in arrays.iter().enumerate() {
                let Some(first) = array.items.first() else {
                    continue;
                };
                let mut prefix = first.path.as_str();
                while let Some(cut) = prefix.rfind('/') {
                    prefix = &prefix[..cut];
                    let key = if prefix.is_empty() { "/" } else { prefix };
                    let found = self
                        .plain_index
                        .get(key)
                        .map(|&p| (false, p))
                        .or_else(|| self.glob_index.get(key).map(|&p| (true, p)));
                    if let Some(parent) = found {
                        links.push(((glob, n), parent));
                        break;
                    }
                    if prefix.is_empty() {
                        break;
                    }
                }
            }
        }
        for (child, parent) in links {
            self.array_mut(child).parent = Some(parent);
            self.array_mut(parent).children.push(child);
        }
    }

    fn array_mut(&mut self, (glob, n): (bool, usize)) -> &mut ItemArray {
        if glob {
            &mut self.globs[n]
        } else {
            &mut self.plain[n]
        }
    }

    fn array(&self, (glob, n): (bool, usize)) -> &ItemArray {
        if glob {
            &self.globs[n]
        } else {
            &self.plain[n]
        }
    }
}

/// The result of acting on items: the first failure decides the exit code.
#[derive(Debug, Default)]
pub struct Outcome {
    pub invalid_config: bool,
    pub failed: bool,
    /// A failure before any item ran (an unreadable file named on the command line).
    pub fatal: bool,
}

impl Outcome {
    /// 252's exit code: 1 fatal, 65 invalid configuration, 73 failed action, 0.
    pub fn exit_code(&self) -> i32 {
        if self.fatal {
            1
        } else if self.invalid_config {
            65
        } else if self.failed {
            73
        } else {
            0
        }
    }
}

/// `process_item_array()`: parents first for create, children first for remove/clean.
fn process_array(items: &mut Items, at: (bool, usize), op: u8, opts: &Options) -> bool {
    let mut ok = true;
    if op & OP_CREATE != 0 {
        if let Some(parent) = items.array(at).parent {
            ok &= process_array(items, parent, op & OP_CREATE, opts);
        }
    }
    if op & (OP_REMOVE | OP_CLEAN) != 0 {
        let children = items.array(at).children.clone();
        for child in children {
            ok &= process_array(items, child, op & (OP_REMOVE | OP_CLEAN), opts);
        }
    }
    for n in 0..items.array(at).items.len() {
        let item = &mut items.array_mut(at).items[n];
        let todo = op & !item.done;
        if todo == 0 {
            continue;
        }
        item.done |= op;
        let item = items.array(at).items[n].clone();
        ok &= process_item(&item, op, items, opts);
    }
    ok
}

/// `process_item()`: create (failure tolerated with `-`), remove, clean.
fn process_item(item: &Item, op: u8, items: &Items, opts: &Options) -> bool {
    let mut created = op & OP_CREATE == 0 || create::create_item(item, opts);
    if item.allow_failure {
        created = true;
    }
    let removed = op & OP_REMOVE == 0 || clean::remove_item(item, opts);
    let cleaned = op & OP_CLEAN == 0 || clean::clean_item(item, items, opts);
    created && removed && cleaned
}

/// The whole `systemd-tmpfiles` run after option parsing: `args` are the configuration
/// files named on the command line (none: every file of the configuration directories).
pub fn run(opts: &Options, args: &[String]) -> Outcome {
    let mut outcome = Outcome::default();
    let mut items = Items::default();
    config::read_all(opts, args, &mut items, &mut outcome);
    if outcome.fatal {
        return outcome;
    }
    items.link_parents();
    let old_umask = nix::sys::stat::umask(nix::sys::stat::Mode::empty());
    for phase in [OP_REMOVE | OP_CLEAN, OP_CREATE] {
        let op = opts.operations & phase;
        if op == 0 {
            continue;
        }
        for n in 0..items.plain.len() {
            outcome.failed |= !process_array(&mut items, (false, n), op, opts);
        }
        for n in 0..items.globs.len() {
            outcome.failed |= !process_array(&mut items, (true, n), op, opts);
        }
    }
    nix::sys::stat::umask(old_umask);
    outcome
}

/// What PID 1 runs at boot before any service, as systemd-tmpfiles-setup.service does
/// (`systemd-tmpfiles --create --remove --boot`, `--user` for a user-mode init). Messages
/// go to the console; returns the exit code.
pub fn boot_setup(scope: &crate::scope::Scope) -> i32 {
    let mut opts = Options::new(scope.root.clone());
    opts.user = !scope.is_system();
    opts.boot = true;
    opts.operations = OP_CREATE | OP_REMOVE;
    run(&opts, &[]).exit_code()
}
