// Package config owns Gatehouse's start-up configuration: the Config struct and
// its sections, the defaults (production and --dev), loading from the four
// sources in one fixed order, and validation that reports every problem at once.
//
// Precedence, highest first: explicit command-line flags, GATEHOUSE_*
// environment variables, the YAML file, defaults. --dev changes only the
// defaults; an explicit value always wins over a dev default.
//
// Loading is strict: an unknown YAML key or an unknown GATEHOUSE_* environment
// variable is an error (GATEHOUSE_TEST_* and GATEHOUSE_SKIP_* are reserved for
// tests and ignored). Every problem is a *FieldError or *UnknownOptionError,
// joined with errors.Join, each naming the option, the value as configured and
// where it came from. Secret values (master key, passwords in URLs, Twilio
// token, webhook secret) never appear in an error or a log line: Config
// implements slog.LogValuer and fmt.Stringer with those values redacted.
//
// The package reads the YAML file and, in dev mode, creates or reads
// {data_dir}/master.key (LoadOrCreateDevMasterKey); it does nothing else with
// the outside world.
//
// This package must not import any other Gatehouse package (idp/..., mfa/...,
// federation/...); everything else reads its settings from here.
package config
