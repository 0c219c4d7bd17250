//! `Environment=` and `EnvironmentFile=` syntax, as systemd 252's `config_parse_environ()`
//! and `load_env_file()`. Pure functions: the caller reads files (and handles the `-`
//! prefix of optional files) and expands specifiers first.

use super::value::{split_words, SplitOptions};

/// `[A-Za-z_][A-Za-z0-9_]*`, as `env_name_is_valid()`.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An ordered environment where a later assignment of a name replaces the earlier one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvList {
    pub vars: Vec<(String, String)>,
}

impl EnvList {
    pub fn set(&mut self, name: &str, value: &str) {
        match self.vars.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.vars.push((name.to_string(), value.to_string())),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Applies the `Environment=` assignments of a unit in order: each value is unquoted into
/// `NAME=VALUE` words (no `$` expansion); an empty value resets the list. Returns the
/// warnings systemd logs for the skipped parts.
pub fn parse_environment<'a>(values: impl IntoIterator<Item = &'a str>) -> (EnvList, Vec<String>) {
    let mut env = EnvList::default();
    let mut warnings = Vec::new();
    let opts = SplitOptions {
        c_unescape: true,
        relax: false,
    };
    for value in values {
        if value.is_empty() {
            env.vars.clear();
            continue;
        }
        let words = match split_words(value, opts) {
            Ok(words) => words,
            Err(_) => {
                warnings.push(format!("Invalid syntax, ignoring: {value}"));
                continue;
            }
        };
        for word in words {
            match word.split_once('=') {
                Some((name, val)) if is_valid_name(name) && !val.contains('\0') => {
                    env.set(name, val)
                }
                _ => warnings.push(format!("Invalid environment assignment, ignoring: {word}")),
            }
        }
    }
    (env, warnings)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    PreKey,
    Key,
    PreValue,
    Value,
    ValueEscape,
    SingleQuote,
    DoubleQuote,
    DoubleQuoteEscape,
    Comment,
    CommentEscape,
}

/// Parses an environment file (`load_env_file()`): `#`/`;` comments, `KEY=VALUE` with
/// whitespace around the key ignored, unquoted values trimmed with `\` escapes and `\`
/// newline continuation, `'…'` verbatim, `"…"` with `\" \\ \` \$` escapes (other
/// backslashes kept); quoted values may span lines. Lines without `=` are ignored; invalid
/// names are skipped with a warning (so `export A=1` is not an assignment).
pub fn parse_environment_file(text: &str) -> (EnvList, Vec<String>) {
    let mut env = EnvList::default();
    let mut warnings = Vec::new();
    let mut state = State::PreKey;
    let mut key = String::new();
    let mut value = String::new();
    // Lengths at which trailing whitespace started, to trim it when the item ends.
    let mut key_ws: Option<usize> = None;
    let mut value_ws: Option<usize> = None;
    let mut push = |key: &mut String, value: &mut String, env: &mut EnvList| {
        if is_valid_name(key) {
            env.set(key, value);
        } else {
            warnings.push(format!("Invalid variable name \"{key}\", ignoring."));
        }
        key.clear();
        value.clear();
    };
    let newline = |c: char| c == '\n' || c == '\r';
    for c in text.chars() {
        match state {
            State::PreKey => {
                if c == '#' || c == ';' {
                    state = State::Comment;
                } else if !c.is_whitespace() {
                    state = State::Key;
                    key.clear();
                    key.push(c);
                    key_ws = None;
                }
            }
            State::Key => {
                if newline(c) {
                    state = State::PreKey;
                    key.clear();
                } else if c == '=' {
                    if let Some(n) = key_ws {
                        key.truncate(n);
                    }
                    state = State::PreValue;
                    value.clear();
                    value_ws = None;
                } else {
                    if !c.is_whitespace() {
                        key_ws = None;
                    } else if key_ws.is_none() {
                        key_ws = Some(key.len());
                    }
                    key.push(c);
                }
            }
            State::PreValue => {
                if newline(c) {
                    state = State::PreKey;
                    push(&mut key, &mut value, &mut env);
                } else if c == '\'' {
                    state = State::SingleQuote;
                } else if c == '"' {
                    state = State::DoubleQuote;
                } else if c == '\\' {
                    state = State::ValueEscape;
                } else if !c.is_whitespace() {
                    state = State::Value;
                    value.push(c);
                }
            }
            State::Value => {
                if newline(c) {
                    state = State::PreKey;
                    if let Some(n) = value_ws {
                        value.truncate(n);
                    }
                    push(&mut key, &mut value, &mut env);
                } else if c == '\\' {
                    state = State::ValueEscape;
                    value_ws = None;
                } else {
                    if !c.is_whitespace() {
                        value_ws = None;
                    } else if value_ws.is_none() {
                        value_ws = Some(value.len());
                    }
                    value.push(c);
                }
            }
            State::ValueEscape => {
                state = State::Value;
                if !newline(c) {
                    value.push(c);
                }
            }
            State::SingleQuote => {
                if c == '\'' {
                    state = State::PreValue;
                } else {
                    value.push(c);
                }
            }
            State::DoubleQuote => {
                if c == '"' {
                    state = State::PreValue;
                } else if c == '\\' {
                    state = State::DoubleQuoteEscape;
                } else {
                    value.push(c);
                }
            }
            State::DoubleQuoteEscape => {
                state = State::DoubleQuote;
                if matches!(c, '"' | '\\' | '`' | '$') {
                    value.push(c);
                } else if c != '\n' {
                    value.push('\\');
                    value.push(c);
                }
            }
            State::Comment => {
                if c == '\\' {
                    state = State::CommentEscape;
                } else if newline(c) {
                    state = State::PreKey;
                }
            }
            State::CommentEscape => state = State::Comment,
        }
    }
    match state {
        State::Value => {
            if let Some(n) = value_ws {
                value.truncate(n);
            }
            push(&mut key, &mut value, &mut env);
        }
        State::PreValue
        | State::ValueEscape
        | State::SingleQuote
        | State::DoubleQuote
        | State::DoubleQuoteEscape => push(&mut key, &mut value, &mut env),
        _ => {}
    }
    (env, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(env: &EnvList) -> Vec<(&str, &str)> {
        env.vars
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn environment_values_unquote_and_replace() {
        let (env, warn) = parse_environment([r#""A=x y" B=z "C=$w 5""#, "B=again"]);
        assert_eq!(pairs(&env), [("A", "x y"), ("B", "again"), ("C", "$w 5")]);
        assert!(warn.is_empty());
        // The man page's example: quotes inside values survive `Environment=` unquoting.
        let (env, _) = parse_environment([r#"ONE='one' "TWO='two two' too" THREE="#]);
        assert_eq!(
            pairs(&env),
            [("ONE", "one"), ("TWO", "'two two' too"), ("THREE", "")]
        );
    }

    #[test]
    fn environment_resets_and_invalid_parts() {
        let (env, warn) = parse_environment(["A=1", "", "B=2 1X=3 noequals"]);
        assert_eq!(pairs(&env), [("B", "2")]);
        assert_eq!(
            warn,
            [
                "Invalid environment assignment, ignoring: 1X=3",
                "Invalid environment assignment, ignoring: noequals"
            ]
        );
        let (env, warn) = parse_environment(["OK=1", "\"A=1"]);
        assert_eq!(pairs(&env), [("OK", "1")]);
        assert_eq!(warn, ["Invalid syntax, ignoring: \"A=1"]);
    }

    #[test]
    fn environment_file_syntax() {
        let text = "# comment\n; other\n  KEY = value with  spaces  \nSQ='a \\n \"b\"\nc'\n\
                    DQ=\"x \\\" \\$ \\q\ny\"\nCONT=one\\\ntwo\nESC=a\\ b\\\\c\nnoequals\n\
                    export EX=1\nEMPTY=\nMIX=\"a\"b 'c'\nLAST=end";
        let (env, warn) = parse_environment_file(text);
        assert_eq!(
            pairs(&env),
            [
                ("KEY", "value with  spaces"),
                ("SQ", "a \\n \"b\"\nc"),
                ("DQ", "x \" $ \\q\ny"),
                ("CONT", "onetwo"),
                ("ESC", "a b\\c"),
                ("EMPTY", ""),
                ("MIX", "ab 'c'"),
                ("LAST", "end"),
            ]
        );
        assert_eq!(warn, ["Invalid variable name \"export EX\", ignoring."]);
    }

    #[test]
    fn environment_file_edge_cases() {
        let (env, _) = parse_environment_file("A=1\r\nB='open\n# still\n");
        assert_eq!(pairs(&env), [("A", "1"), ("B", "open\n# still\n")]);
        let (env, _) = parse_environment_file("# a \\\nB=hidden\nC=1 # not a comment");
        assert_eq!(pairs(&env), [("C", "1 # not a comment")]);
        assert!(parse_environment_file("").0.vars.is_empty());
    }
}
