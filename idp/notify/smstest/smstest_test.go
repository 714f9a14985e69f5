package smstest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/notify/smstest"
)

// The fake must behave like Twilio for clients other than notify.TwilioSender too.
func TestTwilioFakeSpeaksTwilio(t *testing.T) {
	tw := smstest.StartTwilio(t)
	endpoint := tw.URL() + "/2010-04-01/Accounts/" + tw.AccountSID + "/Messages.json"
	post := func(user, pass, path string, form url.Values) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("reply is not JSON: %v", err)
		}
		return resp.StatusCode, body
	}
	good := url.Values{"To": {"+14155550123"}, "From": {"+15005550006"}, "Body": {"hi"}}
	tests := []struct {
		name       string
		user, pass string
		path       string
		form       url.Values
		status     int
		code       float64
	}{
		{"no auth", "", "", endpoint, good, 401, 20003},
		{"wrong token", tw.AccountSID, "nope", endpoint, good, 401, 20003},
		{"other account", tw.AccountSID, tw.AuthToken, strings.Replace(endpoint, tw.AccountSID, "AC0000", 1), good, 404, 20404},
		{"missing To", tw.AccountSID, tw.AuthToken, endpoint, url.Values{"From": {"+15005550006"}, "Body": {"hi"}}, 400, 21604},
		{"missing Body", tw.AccountSID, tw.AuthToken, endpoint, url.Values{"To": {"+14155550123"}, "From": {"+15005550006"}}, 400, 21602},
		{"invalid To", tw.AccountSID, tw.AuthToken, endpoint, url.Values{"To": {"555"}, "From": {"+15005550006"}, "Body": {"hi"}}, 400, 21211},
		{"created", tw.AccountSID, tw.AuthToken, endpoint, good, 201, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(tc.user, tc.pass, tc.path, tc.form)
			if status != tc.status {
				t.Fatalf("status = %d, want %d (%v)", status, tc.status, body)
			}
			if tc.code != 0 && body["code"] != tc.code {
				t.Errorf("code = %v, want %v", body["code"], tc.code)
			}
			if tc.status == 201 {
				sid, _ := body["sid"].(string)
				if !strings.HasPrefix(sid, "SM") || len(sid) != 34 || body["status"] != "queued" || body["to"] != "+14155550123" {
					t.Errorf("created reply = %v", body)
				}
			}
		})
	}
	if n := len(tw.Messages()); n != 1 {
		t.Fatalf("fake kept %d messages, want only the created one", n)
	}
}

func TestWebhookReceiverRefusesUnsigned(t *testing.T) {
	wh := smstest.StartWebhook(t, "whsec_0123456789abcdef0123456789abcdef")
	resp, err := http.Post(wh.URL(), "application/json", strings.NewReader(`{"to":"+14155550123","body":"x","id":"1","timestamp":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", resp.StatusCode)
	}
	if r := wh.Rejected(); len(r) != 1 || !errors.Is(r[0], notify.ErrWebhookTimestamp) {
		t.Fatalf("rejections = %v, want one ErrWebhookTimestamp", r)
	}
	if _, err := wh.WaitFor("+14155550123", 20*time.Millisecond); err == nil {
		t.Fatal("an unsigned message was accepted")
	}
}
