// Package connectors turns a stored connection (kind + JSON settings) into
// a federation.Config. It exists so the idp layer need not switch on kinds,
// and so an unknown or misspelled setting is an error, not silence.
//
// It imports federation and its connector packages; never anything under
// idp.
package connectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/google"
	"github.com/gatehouse-idp/gatehouse/federation/microsoft"
	"github.com/gatehouse-idp/gatehouse/federation/oidc"
)

// Kinds lists the connector kinds, in the order a UI offers them.
func Kinds() []federation.Kind {
	return []federation.Kind{federation.KindGoogle, federation.KindMicrosoft, federation.KindOIDC}
}

// Decode parses settings for kind with unknown keys refused, and validates
// the result (every problem at once). Settings use the JSON names of the
// kind's Config (connection_id, client_id, client_secret, redirect_url,
// issuer, tenant, allowed_tenant_ids, ...).
func Decode(kind federation.Kind, settings []byte) (federation.Config, error) {
	var cfg federation.Config
	var err error
	switch kind {
	case federation.KindGoogle:
		var c google.Config
		err = strictJSON(settings, &c)
		cfg = c
	case federation.KindMicrosoft:
		var c microsoft.Config
		err = strictJSON(settings, &c)
		cfg = c
	case federation.KindOIDC:
		var c oidc.Config
		err = strictJSON(settings, &c)
		cfg = c
	default:
		return nil, fmt.Errorf("%w: unknown connector kind %q (want google, microsoft or oidc)", federation.ErrInvalidConfig, kind)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s settings: %w", federation.ErrInvalidConfig, kind, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the JSON object")
	}
	return nil
}
