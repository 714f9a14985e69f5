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
	"os"
	"os/signal"
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
  ip-allowlist          add, remove or list a tenant's signin/api IP allowlist entries
  user unlock           clear a user's failed sign-in lock
  user devices          list, block, unblock or forget a user's browsers and locations
  session list|revoke   show or end a user's active sessions
  audit list            the tenant's security log, newest first (--user, --type, --since, --until, --cursor)
  audit verify          check the tenant's audit hash chain and name the first broken link
  audit export          write a period of the log as JSON lines or CSV (--since, --until, --format, --out)
  audit exports         the history of exports: who, when, which period

Run 'gatehouse <command> -h' for the flags of a command.
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
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
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
			"create": cmdTenantCreate, "list": cmdTenantList, "show": cmdTenantShow, "update": cmdTenantUpdate})
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

func sub(ctx context.Context, name string, args []string, io *cmdIO, cmds map[string]func(context.Context, []string, *cmdIO) error) error {
	if len(args) == 0 {
		fmt.Fprintf(io.err, "gatehouse %s: missing subcommand\n", name)
		return exitError{2}
	}
	f, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(io.err, "gatehouse %s: unknown subcommand %q\n", name, args[0])
		return exitError{2}
	}
	return f(ctx, args[1:], io)
}

type cmdIO struct {
	in       io.Reader
	out, err io.Writer
}
