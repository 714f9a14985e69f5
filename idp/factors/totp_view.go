package factors

import (
	"encoding/base64"
	"html/template"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/mfa/totp"
)

// TOTPView fills the QR code (a data: URL of the PNG) and the secret text
// of a TOTP factor being enrolled: the sign-in's enrolment step and the
// account security page show the same view.
func (s *Service) TOTPView(t *store.Tenant, u *store.User, f *store.Factor, qr *template.URL, secret *string) error {
	k, err := s.TOTPKey(t, u, f)
	if err != nil {
		return err
	}
	png, err := k.QRCodePNG(totp.DefaultQRSize)
	if err != nil {
		return err
	}
	// Safe: base64 of bytes we generated, in a fixed data: URL.
	*qr = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	*secret = k.SecretText()
	return nil
}
