package device_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gatehouse-idp/gatehouse/idp/device"
)

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		ua   string
		want device.Info
	}{
		{
			"Chrome on Windows",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			device.Info{Browser: "Chrome", BrowserVersion: "120.0.0.0", OS: "Windows", OSVersion: "10.0", DeviceType: device.Desktop, Label: "Chrome 120 on Windows"},
		},
		{
			"Chrome on macOS",
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			device.Info{Browser: "Chrome", BrowserVersion: "120.0.0.0", OS: "macOS", OSVersion: "10.15.7", DeviceType: device.Desktop, Label: "Chrome 120 on macOS"},
		},
		{
			"Safari on iPhone",
			"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
			device.Info{Browser: "Safari", BrowserVersion: "17.1.2", OS: "iOS", OSVersion: "17.1.2", DeviceType: device.Mobile, Label: "Safari 17 on iOS"},
		},
		{
			"Safari on iPad",
			"Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
			device.Info{Browser: "Safari", BrowserVersion: "17.1", OS: "iOS", OSVersion: "17.1", DeviceType: device.Tablet, Label: "Safari 17 on iOS"},
		},
		{
			"Firefox on Linux: the CPU is not an OS version",
			"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
			device.Info{Browser: "Firefox", BrowserVersion: "121.0", OS: "Linux", DeviceType: device.Desktop, Label: "Firefox 121 on Linux"},
		},
		{
			"Edge on Windows",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
			device.Info{Browser: "Edge", BrowserVersion: "120.0.2210.91", OS: "Windows", OSVersion: "10.0", DeviceType: device.Desktop, Label: "Edge 120 on Windows"},
		},
		{
			"Chrome on an Android phone",
			"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
			device.Info{Browser: "Chrome", BrowserVersion: "120.0.6099.144", OS: "Android", OSVersion: "14", DeviceType: device.Mobile, Label: "Chrome 120 on Android"},
		},
		{
			"Chrome on an Android tablet (no Mobile token)",
			"Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			device.Info{Browser: "Chrome", BrowserVersion: "120.0.0.0", OS: "Android", OSVersion: "13", DeviceType: device.Tablet, Label: "Chrome 120 on Android"},
		},
		{
			"curl",
			"curl/8.4.0",
			device.Info{Browser: "curl", BrowserVersion: "8.4.0", DeviceType: device.Bot, Label: "curl 8"},
		},
		{
			"Googlebot",
			"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			device.Info{Browser: "Googlebot", BrowserVersion: "2.1", DeviceType: device.Bot, Label: "Googlebot 2"},
		},
		{
			"headless Chrome is a bot",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
			device.Info{Browser: "Headless Chrome", BrowserVersion: "120.0.0.0", OS: "Windows", OSVersion: "10.0", DeviceType: device.Bot, Label: "Headless Chrome 120 on Windows"},
		},
		{
			"empty",
			"",
			device.Info{DeviceType: device.Unknown, Label: "Unknown device"},
		},
		{
			"bare compatibility token",
			"Mozilla/5.0",
			device.Info{DeviceType: device.Unknown, Label: "Unknown device"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := device.Describe(tc.ua); got != tc.want {
				t.Fatalf("Describe(%q)\n got %+v\nwant %+v", tc.ua, got, tc.want)
			}
		})
	}
}

func TestDescribeIsDisplaySafe(t *testing.T) {
	hostile := "Evil\x1b[31m\r\nSet-Cookie: x=1" + strings.Repeat("A", 5000) + "/1.0"
	got := device.Describe(hostile)
	for _, s := range []string{got.Browser, got.BrowserVersion, got.OS, got.OSVersion, got.Label} {
		if strings.ContainsAny(s, "\x1b\r\n") {
			t.Errorf("control characters survived: %q", s)
		}
		if len([]rune(s)) > 60 {
			t.Errorf("field not capped: %d runes", len([]rune(s)))
		}
	}
	if got.Label == "" || got.DeviceType == "" {
		t.Errorf("got %+v, want some label and type", got)
	}
}

func TestNewDeviceID(t *testing.T) {
	seq := make([]byte, 32)
	for i := range seq {
		seq[i] = byte(i)
	}
	id := device.NewDeviceID(bytes.NewReader(seq))
	if want := base64.RawURLEncoding.EncodeToString(seq); id != want {
		t.Fatalf("id = %q, want %q (the 32 bytes from the injected reader)", id, want)
	}
	if len(id) != device.IDLen || device.IDLen != 43 || !device.ValidDeviceID(id) {
		t.Fatalf("id %q: len %d, IDLen %d, valid %v", id, len(id), device.IDLen, device.ValidDeviceID(id))
	}
	a, b := device.NewDeviceID(nil), device.NewDeviceID(nil)
	if a == b || !device.ValidDeviceID(a) {
		t.Fatalf("crypto/rand ids %q %q", a, b)
	}
}

func TestNewDeviceIDPanicsOnShortRandomness(t *testing.T) {
	for name, r := range map[string]interface{ Read([]byte) (int, error) }{
		"short": bytes.NewReader(make([]byte, 16)),
		"error": iotest.ErrReader(errors.New("entropy exhausted")),
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			device.NewDeviceID(r)
		})
	}
}

func TestValidDeviceID(t *testing.T) {
	good := device.NewDeviceID(nil)
	for _, id := range []string{
		"",
		good[:42],
		good + "A",
		strings.Repeat("+", 43),              // std alphabet, not url
		good[:42] + "=",                      // padding
		strings.Repeat("A", 42) + "B",        // non-canonical final character
		strings.Repeat("A", 41) + "\n" + "A", // newline smuggled in
	} {
		if device.ValidDeviceID(id) {
			t.Errorf("ValidDeviceID(%q) = true", id)
		}
	}
}

func TestHashDeviceID(t *testing.T) {
	id := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	sum := sha256.Sum256([]byte(id))
	if got := device.HashDeviceID(id); !bytes.Equal(got, sum[:]) || len(got) != 32 {
		t.Fatalf("HashDeviceID = %s, want %s", hex.EncodeToString(got), hex.EncodeToString(sum[:]))
	}
	if bytes.Equal(device.HashDeviceID(id), device.HashDeviceID(id+"x")) {
		t.Fatal("different ids, same hash")
	}
}
