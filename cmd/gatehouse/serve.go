package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp"
)

func cmdServe(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("serve", io, false, "public_url", "listen")
	if _, err := c.parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, c, io, io.err)
	if err != nil {
		return err
	}
	defer a.Close()
	log := a.log
	log.Info("starting gatehouse", "config", a.cfg)

	// Listen before printing anything a person may click: the kernel queues
	// connections from here on, so the dev setup link works the moment it
	// appears, even before Serve runs.
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return err
	}
	defer ln.Close() // on an early return; Shutdown closes it otherwise
	if a.cfg.Dev {
		t, err := a.srv.Manage().EnsureTenant(ctx, "default", "Default")
		if err != nil {
			return fmt.Errorf("default tenant: %w", err)
		}
		link, err := a.srv.Manage().SetupLink(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("setup link: %w", err)
		}
		fmt.Fprintf(io.err, "\n  Gatehouse dev mode — NOT for production.\n  Issuer of the default tenant: %s/t/%s\n", a.cfg.PublicURL, t.Slug)
		if link != "" {
			fmt.Fprintf(io.err, "  Set the first owner's password (one-time link, 24 h):\n\n    %s\n\n", link)
		} else {
			fmt.Fprintf(io.err, "  The default tenant has an owner already.\n\n")
		}
	}

	go a.srv.Sweep(ctx, idp.SweepInterval)
	// Start-up work (migrations, key loading) leaves garbage behind; hand the
	// freed pages back to the OS now rather than when the scavenger gets to
	// them, so an idle server's resident memory is what it actually uses.
	runtime.GC()
	debug.FreeOSMemory()

	hs := &http.Server{
		Handler:           a.srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "public_url", a.cfg.PublicURL)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
