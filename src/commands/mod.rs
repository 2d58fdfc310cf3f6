//! One file per command.

pub mod analyze;
pub mod demo;
pub mod generate;
pub mod inspect;
pub mod letters;
pub mod profile;
pub mod scan;
pub mod suspects;
pub mod verify;

use crate::cli::{Cli, Command};
use crate::error::Result;
use crate::ui::Ui;

/// Runs the command; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let ui = Ui::from_env(cli.quiet);
    let encoding = cli
        .encoding
        .as_deref()
        .map(|e| crate::read::encoding::TextEncoding::parse(e).map_err(|m| crate::error::Error::Usage(format!("--encoding: {m}"))))
        .transpose()?;
    let assume_tz = cli.assume_tz.as_deref().map(crate::read::timefmt::parse_assume_tz).transpose().map_err(crate::error::Error::Usage)?;
    let inputs = crate::read::input::InputDefaults { encoding, assume_tz };
    // How the logs are read, as a part records it (see `scan` and `analyze --parts`).
    let reading = crate::parts::Reading { encoding: cli.encoding.clone(), assume_tz: cli.assume_tz.clone(), all_accounts: false };
    match cli.command {
        Command::Analyze(args) => analyze::run(&args, &ui, &inputs, &reading),
        Command::Scan(args) => scan::run(&args, &ui, &inputs, &reading),
        Command::Demo(args) => demo::run(&args, &ui),
        Command::Inspect(args) => inspect::run(&args, &ui, &inputs),
        Command::Generate(args) => generate::run(&args, &ui),
        Command::Suspects(args) => suspects::run(&args, &ui, &inputs, &reading),
        Command::Profile(args) => profile::run(&args, &ui, &inputs, &reading),
        Command::Verify(args) => verify::run(&args, &ui),
        Command::Letters(args) => letters::run(&args, &ui, &inputs),
    }
}
