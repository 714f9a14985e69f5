package op

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// One parameter parser for every OAuth endpoint. authorize, token,
// introspection, revocation and end_session (and the logout confirmation)
// read their parameters through parseOAuthParams before anything decides
// on them — the API allowlist included — and the request handed on, to
// Gatehouse's handlers and to zitadel alike, carries exactly the parsed
// values: r.Form, r.PostForm, the query and the body are rebuilt from them,
// so no later reader can see a second value or a parameter from elsewhere.
//
//   - No parameter may appear twice (RFC 6749 §3.1), counting the query and
//     the body of a POST together: Gatehouse once checked the first
//     redirect_uri while zitadel used the last.
//   - Token, introspection and revocation take a POST with an
//     application/x-www-form-urlencoded body and nothing in the query
//     (RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1).
//   - authorize and end_session are browser endpoints: GET with a query or
//     POST with a form body.
//   - Names and values are bounded in size and number.

// endpointKind names the OAuth endpoint a request is parsed for.
type endpointKind int

const (
	kindAuthorize endpointKind = iota
	kindToken
	kindIntrospect
	kindRevoke
	kindEndSession
)

func (k endpointKind) String() string {
	return [...]string{"authorize", "token", "introspect", "revoke", "end_session"}[k]
}

// browser reports whether people's browsers call the endpoint (GET allowed,
// errors are pages); the others are machine endpoints (POST body only,
// errors are OAuth JSON).
func (k endpointKind) browser() bool { return k == kindAuthorize || k == kindEndSession }

// Bounds of one request's parameters (the body is bounded by web.MaxBodyBytes).
const (
	maxOAuthParams     = 50
	maxParamNameLen    = 64
	formURLEncodedMIME = "application/x-www-form-urlencoded"
)

// paramError is a refused request: the HTTP status and a description safe
// to show (it names a parameter at most, never a value).
type paramError struct {
	status int
	desc   string
}

// parseOAuthParams reads the parameters of an OAuth request for kind. The
// result has exactly one value per name.
func parseOAuthParams(r *http.Request, kind endpointKind) (url.Values, *paramError) {
	var query, body string
	switch {
	case r.Method == http.MethodPost:
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != formURLEncodedMIME {
			return nil, &paramError{http.StatusBadRequest, "the request body must be " + formURLEncodedMIME}
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, web.MaxBodyBytes+1))
		if err != nil || len(b) > web.MaxBodyBytes {
			return nil, &paramError{http.StatusBadRequest, "the request body is too large or could not be read"}
		}
		body = string(b)
		if kind.browser() {
			query = r.URL.RawQuery
		} else if r.URL.RawQuery != "" {
			return nil, &paramError{http.StatusBadRequest, "parameters must be sent in the request body, not the query string"}
		}
	case kind.browser() && r.Method == http.MethodGet:
		query = r.URL.RawQuery
	default:
		return nil, &paramError{http.StatusMethodNotAllowed, "method not allowed"}
	}
	return parseParamStrings(query, body)
}

// parseParamStrings merges a query string and a form body, refusing any
// repeated name, bad encoding and oversize input. It is the fuzzed core of
// parseOAuthParams.
func parseParamStrings(parts ...string) (url.Values, *paramError) {
	out := url.Values{}
	for _, part := range parts {
		if part == "" {
			continue
		}
		vals, err := url.ParseQuery(part)
		if err != nil {
			return nil, &paramError{http.StatusBadRequest, "the parameters are not validly encoded"}
		}
		for name, vs := range vals {
			switch {
			case len(vs) > 1 || out.Has(name):
				return nil, &paramError{http.StatusBadRequest, "parameter " + safeParamName(name) + " is sent more than once"}
			case name == "" || len(name) > maxParamNameLen:
				return nil, &paramError{http.StatusBadRequest, "a parameter name is empty or too long"}
			case len(vs[0]) > maxParamLen:
				return nil, &paramError{http.StatusBadRequest, "parameter " + safeParamName(name) + " is too long"}
			}
			out[name] = vs
		}
		if len(out) > maxOAuthParams {
			return nil, &paramError{http.StatusBadRequest, "too many parameters"}
		}
	}
	return out, nil
}

// oauthParamsKey carries the parsed parameters in the request context, so
// code that must decide on them (the API allowlist) can tell they were
// parsed and refuse when they were not.
type oauthParamsKey struct{}

// parsedParams returns the parameters parseOAuthParams accepted for this
// request, and false when the request did not go through it.
func parsedParams(r *http.Request) (url.Values, bool) {
	v, ok := r.Context().Value(oauthParamsKey{}).(url.Values)
	return v, ok
}

// withParams returns a copy of r that carries exactly params: as the query
// of a GET, as the form body of a POST (with an empty query), and as
// r.Form/r.PostForm, so ParseForm finds nothing else.
func withParams(r *http.Request, params url.Values) *http.Request {
	r2 := r.Clone(context.WithValue(r.Context(), oauthParamsKey{}, params))
	enc := params.Encode()
	form := cloneValues(params)
	r2.Form = form
	if r.Method == http.MethodPost {
		r2.URL.RawQuery = ""
		r2.PostForm = form
		r2.Body = io.NopCloser(strings.NewReader(enc))
		r2.ContentLength = int64(len(enc))
		r2.Header.Set("Content-Type", formURLEncodedMIME)
	} else {
		r2.URL.RawQuery = enc
		r2.PostForm = url.Values{}
		r2.Body = http.NoBody
		r2.ContentLength = 0
	}
	r2.RequestURI = r2.URL.RequestURI()
	return r2
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// oauthParams is the route-table wrapper: it parses the request for kind
// and hands next a request carrying only the accepted parameters; a refused
// request never reaches next. A CORS preflight of a machine endpoint carries
// no parameters and passes with none (zitadel's CORS handler answers it).
func (h *Handler) oauthParams(kind endpointKind, next providerHandler) providerHandler {
	return func(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
		if !kind.browser() && r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			next(w, withParams(r, url.Values{}), p)
			return
		}
		params, perr := parseOAuthParams(r, kind)
		if perr != nil {
			h.refuseParams(w, r, p, kind, perr)
			return
		}
		next(w, withParams(r, params), p)
	}
}

// refuseParams answers a refused request: an error page at the browser
// endpoints (never a redirect: the parameters that would say where to are
// not trustworthy), OAuth JSON invalid_request at the machine endpoints.
func (h *Handler) refuseParams(w http.ResponseWriter, r *http.Request, p *tenantProvider, kind endpointKind, perr *paramError) {
	h.Log.Info("oauth request refused", "tenant", p.tenant.Slug, "endpoint", kind.String(), "reason", perr.desc)
	if perr.status == http.StatusMethodNotAllowed {
		allow := http.MethodPost
		if kind.browser() {
			allow = "GET, POST"
		}
		w.Header().Set("Allow", allow)
	}
	if kind.browser() {
		h.Pages.Error(w, perr.status, "Invalid request", "The application sent an invalid request: "+perr.desc+". Nothing was sent back to it.")
		return
	}
	web.OAuthError(w, perr.status, "invalid_request", perr.desc)
}
