//! The user database, read straight from `/etc/passwd` and `/etc/group` (inside `--root`).
//! A static binary in a scratch image has no NSS, and OpenShift runs containers under uids
//! that have no entry at all, so every lookup also accepts plain numbers.

use crate::root::Root;
use std::path::{Path, PathBuf};

/// systemd's built-in nobody user and group (Debian builds with `nogroup`).
pub const NOBODY_USER: &str = "nobody";
pub const NOBODY_GROUP: &str = "nogroup";
pub const NOBODY_ID: u32 = 65534;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passwd {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
    pub shell: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UserDb {
    pub users: Vec<Passwd>,
    pub groups: Vec<Group>,
}

impl UserDb {
    /// Reads both files; a missing or unreadable file is an empty database, not an error.
    /// root (0) and nobody (65534) always exist, as systemd's get_user_creds() and
    /// get_group_creds() synthesize them without any database (a `FROM scratch` image has
    /// no /etc/passwd).
    pub fn load(root: &Root) -> Self {
        let read =
            |p: &str| std::fs::read_to_string(root.host_path(Path::new(p))).unwrap_or_default();
        let mut db = UserDb {
            users: parse_passwd(&read("/etc/passwd")),
            groups: parse_group(&read("/etc/group")),
        };
        db.synthesize_builtins();
        db
    }

    /// Only what the files say (systemd's offline lookup with `--root`: no built-in
    /// nobody; tmpfiles and sysusers add `root` themselves).
    pub fn load_files(root: &Root) -> Self {
        let read =
            |p: &str| std::fs::read_to_string(root.host_path(Path::new(p))).unwrap_or_default();
        UserDb {
            users: parse_passwd(&read("/etc/passwd")),
            groups: parse_group(&read("/etc/group")),
        }
    }

    fn synthesize_builtins(&mut self) {
        let users = [
            ("root", 0, "/root", "/bin/sh"),
            (NOBODY_USER, NOBODY_ID, "/", "/usr/sbin/nologin"),
        ];
        for (name, id, home, shell) in users {
            if self.user_by_name(name).is_none() && self.user_by_uid(id).is_none() {
                self.users.push(Passwd {
                    name: name.into(),
                    uid: id,
                    gid: id,
                    home: home.into(),
                    shell: shell.into(),
                });
            }
        }
        for (name, id) in [("root", 0), (NOBODY_GROUP, NOBODY_ID)] {
            if self.group_by_name(name).is_none() && self.group_by_gid(id).is_none() {
                self.groups.push(Group {
                    name: name.into(),
                    gid: id,
                    members: Vec::new(),
                });
            }
        }
    }

    pub fn user_by_name(&self, name: &str) -> Option<&Passwd> {
        self.users.iter().find(|u| u.name == name)
    }

    pub fn user_by_uid(&self, uid: u32) -> Option<&Passwd> {
        self.users.iter().find(|u| u.uid == uid)
    }

    pub fn group_by_name(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    pub fn group_by_gid(&self, gid: u32) -> Option<&Group> {
        self.groups.iter().find(|g| g.gid == gid)
    }

    /// `User=` resolution: a name from the database, or a number (with or without entry).
    pub fn resolve_uid(&self, spec: &str) -> Option<u32> {
        self.user_by_name(spec)
            .map(|u| u.uid)
            .or_else(|| parse_id(spec))
    }

    /// `Group=` resolution, the same way.
    pub fn resolve_gid(&self, spec: &str) -> Option<u32> {
        self.group_by_name(spec)
            .map(|g| g.gid)
            .or_else(|| parse_id(spec))
    }

    /// The groups that list `user` as a member (the supplementary groups `initgroups` gives).
    pub fn member_gids(&self, user: &str) -> Vec<u32> {
        self.groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m == user))
            .map(|g| g.gid)
            .collect()
    }
}

/// A user or group id given as a number: decimal, and never the invalid (uid_t)-1 values.
pub fn parse_id(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match s.parse::<u32>() {
        Ok(id) if id != u32::MAX && id != 65535 => Some(id),
        _ => None,
    }
}

fn parse_passwd(text: &str) -> Vec<Passwd> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('+') && !l.starts_with('-'))
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 7 {
                return None;
            }
            Some(Passwd {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                home: PathBuf::from(f[5]),
                shell: PathBuf::from(f[6]),
            })
        })
        .collect()
}

fn parse_group(text: &str) -> Vec<Group> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('+') && !l.starts_with('-'))
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 4 {
                return None;
            }
            Some(Group {
                name: f[0].to_string(),
                gid: f[2].parse().ok()?,
                members: f[3]
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

/// Who the manager runs as: the identity behind `%u %U %g %G %h %s` and the user scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uid: u32,
    pub gid: u32,
    /// The passwd name, or the uid as text when the uid has no entry.
    pub name: String,
    pub group: String,
    pub home: PathBuf,
    pub shell: PathBuf,
}

impl Identity {
    /// The identity of this process. `$HOME` wins over the passwd entry (as systemd's
    /// `get_home_dir()`); with neither, `/` (OpenShift's arbitrary uids).
    pub fn current(root: &Root, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let uid = nix::unistd::getuid().as_raw();
        let gid = nix::unistd::getgid().as_raw();
        Identity::for_uid(&UserDb::load(root), uid, gid, env)
    }

    pub fn for_uid(db: &UserDb, uid: u32, gid: u32, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let entry = db.user_by_uid(uid);
        let from_env = |k: &str| env(k).filter(|v| v.starts_with('/')).map(PathBuf::from);
        let home = if uid == 0 {
            // systemd ignores $HOME for root: it is always /root.
            entry
                .map(|e| e.home.clone())
                .unwrap_or_else(|| PathBuf::from("/root"))
        } else {
            from_env("HOME")
                .or_else(|| entry.map(|e| e.home.clone()))
                .unwrap_or_else(|| PathBuf::from("/"))
        };
        let shell = from_env("SHELL")
            .filter(|_| uid != 0)
            .or_else(|| entry.map(|e| e.shell.clone()))
            .unwrap_or_else(|| PathBuf::from("/bin/sh"));
        let gid = entry.map(|e| e.gid).unwrap_or(gid);
        Identity {
            uid,
            gid,
            name: entry.map(|e| e.name.clone()).unwrap_or_else(|| {
                if uid == 0 {
                    "root".into()
                } else {
                    uid.to_string()
                }
            }),
            group: db
                .group_by_gid(gid)
                .map(|g| g.name.clone())
                .unwrap_or_else(|| {
                    if gid == 0 {
                        "root".into()
                    } else {
                        gid.to_string()
                    }
                }),
            home,
            shell,
        }
    }

    pub fn root_user() -> Self {
        Identity {
            uid: 0,
            gid: 0,
            name: "root".into(),
            group: "root".into(),
            home: PathBuf::from("/root"),
            shell: PathBuf::from("/bin/sh"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> UserDb {
        UserDb {
            users: parse_passwd(
                "root:x:0:0:root:/root:/bin/bash\n# c\nwww:x:33:33:www:/var/www:/usr/sbin/nologin\nbad line\n",
            ),
            groups: parse_group("root:x:0:\nwww:x:33:\nadm:x:4:www,other\n"),
        }
    }

    #[test]
    fn root_and_nobody_exist_without_any_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = UserDb::load(&Root::new(dir.path()));
        assert_eq!(db.resolve_uid("root"), Some(0));
        assert_eq!(db.resolve_uid("nobody"), Some(65534));
        assert_eq!(db.resolve_gid("root"), Some(0));
        assert_eq!(db.resolve_gid("nogroup"), Some(65534));
        assert_eq!(
            db.user_by_uid(0).map(|u| u.home.clone()),
            Some("/root".into())
        );
        assert_eq!(db.resolve_uid("www"), None);
    }

    #[test]
    fn resolves_names_and_numbers() {
        let db = db();
        assert_eq!(db.resolve_uid("www"), Some(33));
        assert_eq!(db.resolve_uid("1000770000"), Some(1000770000));
        assert_eq!(db.resolve_uid("nosuch"), None);
        assert_eq!(db.resolve_uid("-1"), None);
        assert_eq!(db.resolve_uid("4294967295"), None);
        assert_eq!(db.resolve_gid("adm"), Some(4));
        assert_eq!(db.member_gids("www"), vec![4]);
    }

    #[test]
    fn identity_of_an_unknown_uid_uses_home_from_env_or_slash() {
        let db = db();
        let none = |_: &str| None;
        let id = Identity::for_uid(&db, 1000770000, 0, &none);
        assert_eq!(id.name, "1000770000");
        assert_eq!(id.home, Path::new("/"));
        let env = |k: &str| (k == "HOME").then(|| "/home/app".to_string());
        assert_eq!(
            Identity::for_uid(&db, 1000770000, 0, &env).home,
            Path::new("/home/app")
        );
        let www = Identity::for_uid(&db, 33, 0, &none);
        assert_eq!(
            (www.name.as_str(), www.gid, www.group.as_str()),
            ("www", 33, "www")
        );
    }
}
