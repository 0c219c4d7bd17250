fn main() {
    std::process::exit(unitbox_systemctl::main(std::env::args_os().collect()));
}
