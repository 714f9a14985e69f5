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

	go sweep(ctx, a)
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

// sweep removes expired authorization requests and tokens every few minutes.
func sweep(ctx context.Context, a *app) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cutoff := time.Now().Add(-time.Hour)
		n1, err1 := a.store.DeleteExpiredAuthRequests(ctx, cutoff)
		n2, err2 := a.store.DeleteExpiredTokens(ctx, cutoff)
		n3, err3 := a.store.DeleteExpiredFederationStates(ctx, cutoff) // federation round trips
		// Failure counters outlive the longest window or lock a tenant may set (24 h).
		_, err4 := a.store.DeleteStaleLoginFailures(ctx, time.Now().Add(-25*time.Hour))
		// Sessions, links, OTP challenges, send records and factor failures:
		// 25 h is past the longest window any rule counts over (a day of sends).
		n5, err5 := a.store.DeleteStaleRows(ctx, time.Now().Add(-25*time.Hour))
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			a.log.Error("sweep expired rows", "err", err)
			continue
		}
		if n1+n2+n3+n5 > 0 {
			a.log.Info("swept expired rows", "auth_requests", n1, "tokens", n2, "federation_states", n3, "other", n5)
		}
	}
}
