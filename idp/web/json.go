package web

import (
	"encoding/json"
	"net/http"
)

// JSON writes v as an uncacheable JSON response: the one JSON writer.
func JSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	RawJSON(w, status, b)
}

// RawJSON writes an already encoded JSON body, uncacheable.
func RawJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// CachedJSON writes a public document (discovery, JWKS) that caches may keep.
func CachedJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// OAuthError writes an RFC 6749 error response: the one JSON error writer
// of the OAuth endpoints. desc must never carry a secret, a code or a token.
func OAuthError(w http.ResponseWriter, status int, code, desc string) {
	JSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// JSONError writes {"error": msg} for the pages' own JSON calls (the
// passkey ceremonies); msg is a sentence for the person at the page.
func JSONError(w http.ResponseWriter, status int, msg string) {
	JSON(w, status, map[string]string{"error": msg})
}
