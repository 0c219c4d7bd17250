//! A property list as `systemctl show` prints it: `Name=Value` lines in D-Bus order, empty
//! values hidden unless asked for, `-p` filters (with `-p Name=value` matching), `--value`.

use super::format::shell_quote;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A single value; hidden when empty unless `--all` or named with `-p`.
    Text(String),
    /// A string array: shell-quoted items joined by spaces; hidden when empty likewise.
    List(Vec<String>),
    /// Structured arrays (`Exec*`, `EnvironmentFiles`): one line per item, nothing when
    /// empty, even with `--all`.
    Lines(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prop {
    pub name: &'static str,
    pub value: Value,
}

/// Builds a property list in order.
#[derive(Debug, Default)]
pub struct Props(pub Vec<Prop>);

impl Props {
    pub fn text(&mut self, name: &'static str, value: impl Into<String>) {
        self.0.push(Prop {
            name,
            value: Value::Text(value.into()),
        });
    }

    pub fn yes_no(&mut self, name: &'static str, value: bool) {
        self.text(name, if value { "yes" } else { "no" });
    }

    pub fn list<S: Into<String>>(
        &mut self,
        name: &'static str,
        items: impl IntoIterator<Item = S>,
    ) {
        self.0.push(Prop {
            name,
            value: Value::List(items.into_iter().map(Into::into).collect()),
        });
    }

    pub fn lines(&mut self, name: &'static str, items: Vec<String>) {
        self.0.push(Prop {
            name,
            value: Value::Lines(items),
        });
    }

    /// `NameTimestamp` (wall clock, empty when unset) and `NameTimestampMonotonic`.
    pub fn dual_timestamp(
        &mut self,
        name: &'static str,
        monotonic_name: &'static str,
        ts: unitbox_core::time::DualTimestamp,
    ) {
        self.text(name, super::format::timestamp(ts.realtime));
        self.text(monotonic_name, ts.monotonic.to_string());
    }
}

/// How to print: `--all`/`-p` show empty values, `--value` drops the names.
#[derive(Debug, Clone, Default)]
pub struct PrintOptions {
    /// `-p` names; `Name=value` entries print the property only when it has that value.
    pub filter: Vec<String>,
    pub show_empty: bool,
    pub value_only: bool,
}

impl PrintOptions {
    /// `None`: not selected; `Some(expected)`: print, if `expected` matches.
    fn selects<'a>(&'a self, name: &str) -> Option<Option<&'a str>> {
        if self.filter.is_empty() || self.filter.iter().any(|f| f == name) {
            return Some(None);
        }
        self.filter
            .iter()
            .find_map(|f| f.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
            .map(Some)
    }
}

/// Renders the properties into `out`, one line each.
pub fn render(props: &Props, opts: &PrintOptions, out: &mut String) {
    let mut emit = |name: &str, value: &str| {
        if !opts.value_only {
            out.push_str(name);
            out.push('=');
        }
        out.push_str(value);
        out.push('\n');
    };
    for prop in &props.0 {
        let Some(expected) = opts.selects(prop.name) else {
            continue;
        };
        let matches = |v: &str| expected.is_none() || expected == Some(v);
        match &prop.value {
            Value::Text(v) => {
                if (opts.show_empty || !v.is_empty()) && matches(v) {
                    // A single value may not span lines.
                    emit(
                        prop.name,
                        if v.contains('\n') { "[unprintable]" } else { v },
                    );
                }
            }
            Value::List(items) => {
                if opts.show_empty || !items.is_empty() {
                    let joined: Vec<String> = items.iter().map(|i| shell_quote(i)).collect();
                    emit(prop.name, &joined.join(" "));
                }
            }
            Value::Lines(items) => {
                for item in items.iter().filter(|i| matches(i)) {
                    emit(prop.name, item);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Props {
        let mut p = Props::default();
        p.text("Id", "a.service");
        p.text("Description", "");
        p.list("Names", ["a.service", "b c.service"]);
        p.list("Wants", Vec::<String>::new());
        p.lines("ExecStart", vec![]);
        p.yes_no("Transient", false);
        p
    }

    fn show(opts: PrintOptions) -> String {
        let mut out = String::new();
        render(&sample(), &opts, &mut out);
        out
    }

    #[test]
    fn hides_empty_values_unless_asked() {
        assert_eq!(
            show(PrintOptions::default()),
            "Id=a.service\nNames=a.service \"b c.service\"\nTransient=no\n"
        );
        let all = show(PrintOptions {
            show_empty: true,
            ..Default::default()
        });
        assert_eq!(
            all,
            "Id=a.service\nDescription=\nNames=a.service \"b c.service\"\nWants=\nTransient=no\n"
        );
    }

    #[test]
    fn filters_in_table_order_with_values_and_expectations() {
        let out = show(PrintOptions {
            filter: vec!["Transient".into(), "Id".into()],
            show_empty: true,
            value_only: true,
        });
        assert_eq!(out, "a.service\nno\n");
        let out = show(PrintOptions {
            filter: vec!["Id=b.service".into(), "Transient=no".into()],
            show_empty: true,
            value_only: false,
        });
        assert_eq!(out, "Transient=no\n");
    }
}
