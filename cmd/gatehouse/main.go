// Command gatehouse runs and manages the Gatehouse OpenID provider.
//
//	gatehouse serve [--dev] [--config FILE]
//	gatehouse migrate
//	gatehouse tenant create SLUG --name NAME
//	gatehouse client create --tenant SLUG --name NAME [--redirect-uri URI ...] ...
//	gatehouse user create --tenant SLUG --email EMAIL [--name NAME] [--role ROLE] [--password-stdin]
//	gatehouse keys rotate --tenant SLUG
//	gatehouse connection add google|microsoft|oidc --tenant SLUG --client-id ID --client-secret-stdin ...
//	gatehouse connection list|update|disable|enable|remove --tenant SLUG [ID]
//	gatehouse audit list|verify|export|exports --tenant SLUG ...
//
// Every management command takes --json for scripts, and the same
// configuration sources as serve (flags, GATEHOUSE_* environment, --config).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

const usage = `Usage: gatehouse <command> [flags]

Commands:
  serve                 run the server (--dev for a local trial)
  migrate               apply database migrations and exit
  tenant create SLUG    create a tenant (an issuer at {public_url}/t/SLUG)
  tenant list           list tenants
  tenant show SLUG      show a tenant and its effective settings
  tenant update SLUG    change a tenant's name and policies
  tenant setup-link SLUG a one-time link for the first owner (while the tenant has none)
  client create         register a relying party (helpdesk app)
  client list           list a tenant's clients
  user create           create a user
  user list             list a tenant's users
  user reset-mfa        remove a user's second factors (lost phone or key)
  keys rotate           rotate a tenant's signing key
  connection add KIND   add a Google, Microsoft (Office 365) or OIDC sign-in connection
  connection list       list a tenant's connections
  connection update ID  change a connection
  connection disable ID stop signing in with a connection (--end-sessions)
  connection enable ID  allow a disabled connection again
  connection remove ID  delete a connection and its links (--end-sessions)
  ip-allowlist list     a tenant's sign-in and API IP allowlists
  ip-allowlist add      allow an address or CIDR (refuses to lock you out; --force)
  ip-allowlist remove   remove an allowlist entry
  user unlock           clear a user's failed sign-in lock
  user devices list     a user's browsers and locations
  user devices block    refuse sign-ins from one of a user's browsers or locations
  user devices unblock  allow a blocked browser or location again
  user devices forget   forget a browser or location (it is new again)
  session list          a user's active sessions
  session revoke        end one or all of a user's sessions
  audit list            the tenant's security log, newest first (--user, --type, --since, --until, --cursor)
  audit verify          check the tenant's audit hash chain and name the first broken link
  audit export          write a period of the log as JSON lines or CSV (--since, --until, --format, --out)
  audit exports         the history of exports: who, when, which period

Run 'gatehouse <command> -h' for the flags of a command; 'gatehouse --version' for the build.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries a process exit code.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// run dispatches a command line; it is what the tests call.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, usage)
		return 2
	case isHelp(args[0]):
		fmt.Fprint(stdout, usage)
		return 0
	case args[0] == "--version" || args[0] == "version":
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	io := &cmdIO{in: stdin, out: stdout, err: stderr}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = cmdServe(ctx, rest, io)
	case "migrate":
		err = cmdMigrate(ctx, rest, io)
	case "tenant":
		err = sub(ctx, "tenant", rest, io, map[string]func(context.Context, []string, *cmdIO) error{
			"create": cmdTenantCreate, "list": cmdTenantList, "show": cmdTenantShow, "update": cmdTenantUpdate,
			"setup-link": cmdTenantSetupLink})
	case "client":
		err = sub(ctx, "client", rest, io, map[string]func(context.Context, []string, *cmdIO) error{
			"create": cmdClientCreate, "list": cmdClientList})
	case "user":
		err = sub(ctx, "user", rest, io, map[string]func(context.Context, []string, *cmdIO) error{
			"create": cmdUserCreate, "list": cmdUserList, "reset-mfa": cmdUserResetMFA, "unlock": cmdUserUnlock, "devices": cmdUserDevices})
	case "connection":
		err = cmdConnection(ctx, rest, io)
	case "ip-allowlist": // policy_cmds.go
		err = sub(ctx, "ip-allowlist", rest, io, ipAllowlistCmds)
	case "session": // policy_cmds.go
		err = sub(ctx, "session", rest, io, sessionCmds)
	case "audit": // audit_cmds.go
		err = sub(ctx, "audit", rest, io, auditCmds)
	case "keys":
		err = sub(ctx, "keys", rest, io, map[string]func(context.Context, []string, *cmdIO) error{
			"rotate": cmdKeysRotate})
	default:
		fmt.Fprintf(stderr, "gatehouse: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		fmt.Fprintf(stderr, "gatehouse: %v\n", err)
		return 1
	}
	return 0
}

// sub dispatches a command group ("tenant create …"). The group alone, or
// with -h, --help or help, lists its subcommands: on standard output when
// asked for, on standard error (exit 2) when a subcommand is missing.
func sub(ctx context.Context, name string, args []string, io *cmdIO, cmds map[string]func(context.Context, []string, *cmdIO) error) error {
	if len(args) == 0 || isHelp(args[0]) {
		w := io.out
		if len(args) == 0 {
			w = io.err
			fmt.Fprintf(w, "gatehouse %s: missing subcommand\n\n", name)
		}
		fmt.Fprint(w, groupUsage(name, cmds))
		if len(args) == 0 {
			return exitError{2}
		}
		return nil
	}
	f, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(io.err, "gatehouse %s: unknown subcommand %q\n\n%s", name, args[0], groupUsage(name, cmds))
		return exitError{2}
	}
	return f(ctx, args[1:], io)
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "help" }

// groupUsage lists a group's subcommands, each with its line of usage.
func groupUsage(name string, cmds map[string]func(context.Context, []string, *cmdIO) error) string {
	desc := map[string]string{}
	for _, line := range strings.Split(usage, "\n") {
		// "  tenant create SLUG    create a tenant …": the command is the
		// first 22 columns, its description the rest.
		if len(line) < 25 || !strings.HasPrefix(line, "  ") {
			continue
		}
		cmd, text := strings.TrimSpace(line[2:24]), strings.TrimSpace(line[24:])
		rest, ok := strings.CutPrefix(cmd, name+" ")
		if !ok {
			continue
		}
		for _, sc := range strings.Split(strings.Fields(rest)[0], "|") {
			if _, seen := desc[sc]; !seen { // a nested group keeps its first line
				desc[sc] = text
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: gatehouse %s <subcommand> [flags]\n\nSubcommands:\n", name)
	for _, c := range slices.Sorted(maps.Keys(cmds)) {
		fmt.Fprintf(&b, "  %-10s %s\n", c, desc[c])
	}
	fmt.Fprintf(&b, "\nRun 'gatehouse %s <subcommand> -h' for its flags.\n", name)
	return b.String()
}

type cmdIO struct {
	in       io.Reader
	out, err io.Writer
}
