//! Specifiers (`%n`, `%i`, `%h`, …; systemd.unit(5) "Specifiers"), resolved against the
//! manager's scope. Filled in by the specifier work item.
