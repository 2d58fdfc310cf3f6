use clap::Parser;

// glibc's malloc spent a tenth of a run in consolidating and unlinking chunks (perf, issue 20), and grew an
// arena per thread; mimalloc's per-thread heaps do neither.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3) of the libmimalloc-sys in Cargo.lock, which the binding does
/// not name (the test below checks the enum's length, which a change of the list would move).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Memory freed goes back to the system at once, in small pages: with transparent huge pages, memory
    // freed and taken again cost a 2 MB page cleared each time (a third of reading the 1M benchmark's
    // log, perf). mimalloc decides on huge pages before main runs, so they are turned off for the process.
    // SAFETY: an option set and a prctl made before any thread of ours starts.
    unsafe {
        libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 0);
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    let cli = breachscope::cli::Cli::parse();
    breachscope::output::files::install_interrupt_handler();
    let code = match breachscope::commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("breachscope: error: {err}");
            err.exit_code()
        }
    };
    std::process::exit(code);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_allocator_option_is_the_one_named() {
        assert_eq!(libmimalloc_sys::_mi_option_last, 47, "mimalloc's option list changed: check the MI_OPTION_ constants");
    }
}
