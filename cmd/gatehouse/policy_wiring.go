package main

import (
	"fmt"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/config"
	"github.com/gatehouse-idp/gatehouse/idp/geo"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
)

// policyOptions wires what the access-policy features need from the
// configuration: the email sender (smtp.url, smtp.from; off when the URL is
// empty) and the GeoIP database for the sessions page (geoip_db; none when
// empty). Options already set (by another area) are kept.
func policyOptions(cfg *config.Config, o *idp.Options) error {
	if o.EmailSender == nil && cfg.SMTP.URL != "" {
		sender, err := notify.NewSMTPSender(notify.SMTPConfig{URL: cfg.SMTP.URL, From: cfg.SMTP.From})
		if err != nil {
			return fmt.Errorf("smtp: %w", err)
		}
		o.EmailSender = sender
	}
	if o.Geo == nil && cfg.GeoIPDB != "" {
		loc, err := geo.Open(cfg.GeoIPDB)
		if err != nil {
			return err
		}
		o.Geo = loc
	}
	return nil
}
