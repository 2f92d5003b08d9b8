use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

mod cli;

/// phiscan finds protected health information (PHI) where HIPAA forbids it in Twilio Event
/// Streams events: message tags, logs, non-eligible channels (WhatsApp, Messenger, email…),
/// non-US numbers and non-HIPAA accounts. Alerts never contain the raw value: they carry a
/// masked preview and a keyed fingerprint.
#[derive(Parser)]
#[command(name = "phiscan", version, max_term_width = 100)]
#[command(after_help = "Examples:\n  \
    phiscan scan examples/                      scan the shipped sample events\n  \
    phiscan scan --fail-on high archive.jsonl.gz  exit 3 if any high/critical alert (CI gate)\n  \
    phiscan replay --state st.json --report r.html s3://archive/2026/   resumable audit replay\n  \
    echo 'DOB 04/12/1961' | phiscan detect -     plain detection on text\n  \
    phiscan rules check                         run every detector's own examples")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan files of Twilio Event Streams events and write one alert per line (JSON).
    ///
    /// PATH is a file (JSON Lines of CloudEvents, a JSON array of them, a webhook-sink body, a
    /// Kinesis GetRecords dump; optionally .gz or .zst), a directory (read recursively: *.json,
    /// *.jsonl, *.ndjson and their .gz/.zst), or `-` for standard input. Malformed records are
    /// counted and reported with file:line; they never stop the scan. A summary goes to stderr.
    Scan(ScanArgs),
    /// Replay archives for an audit: files, S3 prefixes, Kafka offset or time ranges.
    ///
    /// The same alerts as `scan` for the same events (S3 objects as `source.kind = "s3"`), with
    /// --since/--until on event time, objects spread over all cores, a resumable --state file,
    /// and --report/--report-json audit reports. Gzip and zstd by name, Content-Encoding or
    /// content; Kinesis Firehose objects (records concatenated without newlines) are read as is.
    Replay(cli::replay::ReplayArgs),
    /// Plain detection on text, no policy: one JSON line of findings per input line.
    ///
    /// Input lines are JSON `{"id": ..., "text": "..."}` or plain text (id = line number).
    /// Spans are UTF-8 byte offsets into `text`. Findings under the threshold are not printed.
    Detect(DetectArgs),
    /// Work with the detector rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Run the long-lived service: Kafka and webhook-sink sources, alert sinks, /metrics.
    ///
    /// Every config key can be overridden by a PHISCAN_* environment variable, sections joined by
    /// a double underscore: PHISCAN_SOURCES__KAFKA__GROUP_ID=prod. Logs are JSON lines on stderr
    /// (level from PHISCAN_LOG, e.g. `info` or `phiscan=debug`) and never contain detected values.
    /// SIGTERM drains in-flight events, commits Kafka offsets, then exits.
    Run {
        /// Configuration file (TOML); see `examples/phiscan.toml` and the README.
        #[arg(long, short = 'c', value_name = "FILE", env = "PHISCAN_CONFIG")]
        config: PathBuf,
    },
    /// Work with configuration files.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate a config (with PHISCAN_* overrides) and print the effective config, secrets masked.
    Check {
        #[arg(long, short = 'c', value_name = "FILE", env = "PHISCAN_CONFIG")]
        config: Option<PathBuf>,
    },
}

#[derive(Args)]
pub struct CommonArgs {
    /// Configuration file (TOML). Not needed to scan: defaults follow the HIPAA policy.
    #[arg(long, short = 'c', value_name = "FILE", env = "PHISCAN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Load detectors from this folder instead of the built-in ones (layout of `detectors/`).
    #[arg(long, value_name = "DIR")]
    pub detectors: Option<PathBuf>,
    /// Minimum confidence (0–1) for a finding to count [default: 0.5, or the config's].
    #[arg(long, value_name = "X")]
    pub threshold: Option<f32>,
}

#[derive(Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Write alerts to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with status 3 when any alert is at or above SEVERITY (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<phiscan::alert::Severity>,
    /// Append malformed records (raw, as read) to FILE as JSON lines. It holds raw input, so keep
    /// it inside the same boundary as the events themselves.
    #[arg(long, value_name = "FILE")]
    pub dead_letter: Option<PathBuf>,
    /// Worker threads for scanning [default: all cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Largest record (a JSON Lines line, or a multi-line document) read; longer ones are
    /// skipped as they stream past and reported as malformed.
    #[arg(long, value_name = "BYTES", default_value_t = phiscan::source::files::DEFAULT_MAX_RECORD_BYTES)]
    pub max_record_bytes: usize,
    /// No progress bar and no summary on stderr (inputs not fully read are still reported).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Files, directories, or - for stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Args)]
pub struct DetectArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Input file, or - (the default) for stdin.
    #[arg(value_name = "FILE", default_value = "-")]
    pub input: PathBuf,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Run every rule's examples and negative examples; exit non-zero on any failure.
    Check {
        /// Check detectors in this folder instead of the built-in ones.
        #[arg(long, value_name = "DIR")]
        detectors: Option<PathBuf>,
    },
    /// List the rules: id, category, how they match, and the file they come from.
    List {
        #[arg(long, value_name = "DIR")]
        detectors: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => cli::scan::run(args),
        Command::Replay(args) => cli::replay::run(args),
        Command::Detect(args) => cli::detect::run(args),
        Command::Rules {
            command: RulesCommand::Check { detectors },
        } => cli::rules::check(detectors),
        Command::Rules {
            command: RulesCommand::List { detectors },
        } => cli::rules::list(detectors),
        Command::Run { config } => cli::service::run(&config),
        Command::Config {
            command: ConfigCommand::Check { config },
        } => cli::service::check(config.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("phiscan: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
