package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/config"
	"github.com/gatehouse-idp/gatehouse/idp/password"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/backend"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres"
)

// flags shared by every command: where the configuration comes from.
type commonFlags struct {
	fs         *flag.FlagSet
	configFile string
	dev        bool
	json       bool
	// option flags, mapped onto config keys when set
	opts map[string]*string
	// The flag package writes help and errors to one output; parse sends
	// what it wrote to standard output for -h, to standard error otherwise.
	flagOut      bytes.Buffer
	help, errOut io.Writer
}

func newFlags(name string, io *cmdIO, withJSON bool, optionFlags ...string) *commonFlags {
	c := &commonFlags{fs: flag.NewFlagSet("gatehouse "+name, flag.ContinueOnError), opts: map[string]*string{}}
	c.help, c.errOut = io.out, io.err
	c.fs.SetOutput(&c.flagOut)
	c.fs.StringVar(&c.configFile, "config", "", "YAML configuration `file`")
	c.fs.BoolVar(&c.dev, "dev", false, "dev mode defaults (SQLite under ./data, plain HTTP on 127.0.0.1:8080)")
	if withJSON {
		c.fs.BoolVar(&c.json, "json", false, "print the result as JSON")
	}
	c.fs.Func("database-url", "SQLite file path or postgres:// URL (GATEHOUSE_DATABASE_URL)", c.opt("database_url"))
	for _, o := range optionFlags {
		switch o {
		case "public_url":
			c.fs.Func("public-url", "public base URL; issuers are {public-url}/t/{tenant} (GATEHOUSE_PUBLIC_URL)", c.opt(o))
		case "listen":
			c.fs.Func("listen", "host:port to listen on (GATEHOUSE_LISTEN)", c.opt(o))
		}
	}
	return c
}

func (c *commonFlags) opt(key string) func(string) error {
	return func(v string) error {
		c.opts[key] = &v
		return nil
	}
}

// parse accepts positional arguments between flags ("tenant create SLUG --name X").
func (c *commonFlags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		err := c.fs.Parse(args)
		if err == flag.ErrHelp {
			_, _ = c.help.Write(c.flagOut.Bytes())
			return nil, exitError{0}
		}
		_, _ = c.errOut.Write(c.flagOut.Bytes())
		c.flagOut.Reset()
		if err != nil {
			return nil, exitError{2}
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (c *commonFlags) loadConfig() (*config.Config, error) {
	flags := map[string]string{}
	for k, v := range c.opts {
		flags[k] = *v
	}
	return config.Load(config.Sources{Flags: flags, Env: os.LookupEnv, Environ: os.Environ, File: c.configFile, Dev: c.dev})
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// app is an opened database plus the idp.Server built on it.
type app struct {
	cfg   *config.Config
	store store.Store
	srv   *idp.Server
	log   *slog.Logger
	// mfaClose releases what mfaOptions opened.
	mfaClose func()
}

func openApp(ctx context.Context, c *commonFlags, io *cmdIO, logW io.Writer) (*app, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg, logW)
	// zitadel/oidc logs through slog's default logger: route it through ours.
	slog.SetDefault(log)
	st, err := backend.Open(ctx, cfg.DatabaseURL, backend.Options{
		Postgres: postgres.Options{MaxConns: int32(cfg.Database.MaxConns), MinConns: int32(cfg.Database.MinConns)},
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sealer, err := seal.New(cfg.MasterKeyBytes(), nil)
	if err != nil {
		st.Close()
		return nil, err
	}
	hasher := password.NewHasher(password.Params{
		MemoryKiB: cfg.Argon2.MemoryKiB, Iterations: cfg.Argon2.Iterations, Parallelism: cfg.Argon2.Parallelism,
	}, cfg.Argon2.MaxConcurrent, nil)
	opts := idp.Options{
		Store: st, Sealer: sealer, Hasher: hasher, PublicURL: cfg.PublicURL, Dev: cfg.Dev,
		AllowInsecure: cfg.AllowInsecureHTTP, Logger: log, TrustedProxies: cfg.TrustedProxies,
	}
	opts.CLI = c.fs.Name() != "gatehouse serve"  // a management command: its events are the CLI's
	mfaClose, err := mfaOptions(cfg, log, &opts) // senders, GeoIP (mfa_cmds.go)
	if err != nil {
		st.Close()
		return nil, err
	}
	srv, err := idp.New(opts)
	if err != nil {
		mfaClose()
		st.Close()
		return nil, err
	}
	return &app{cfg: cfg, store: st, srv: srv, log: log, mfaClose: mfaClose}, nil
}

// Close waits for notifications still being sent (a CLI command must not
// exit with one unsent), then closes what the app opened.
func (a *app) Close() {
	a.srv.Wait()
	a.mfaClose()
	a.store.Close()
}

// emit prints v as JSON with --json, else the human text.
func emit(c *commonFlags, io *cmdIO, v any, human string) error {
	if c.json {
		enc := json.NewEncoder(io.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	_, err := fmt.Fprint(io.out, human)
	return err
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func sortStrings(s []string) { slices.Sort(s) }

func requireArgs(name string, pos []string, n int, what string) error {
	if len(pos) != n {
		return fmt.Errorf("%s: expected %s, got %d argument(s)", name, what, len(pos))
	}
	return nil
}

// table renders rows under a header row, in aligned columns (list
// commands' text output); an empty cell prints as "-".
func table(header []string, rows [][]string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		for i, c := range r {
			if c == "" {
				r[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	return b.String()
}
