package device

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/mileusna/useragent"
)

// Device types reported in Info.DeviceType.
const (
	Desktop = "desktop"
	Mobile  = "mobile"
	Tablet  = "tablet"
	// Bot covers crawlers, headless browsers and non-browser HTTP clients (curl,
	// python-requests, Go-http-client): anything that names itself but no platform.
	Bot = "bot"
	// Unknown is an empty or unrecognisable User-Agent.
	Unknown = "unknown"
)

// Info describes a User-Agent. Every field is cleaned for display: control characters
// removed, lengths capped. Empty strings mean "not recognised".
type Info struct {
	Browser        string // "Chrome", "Safari", "Firefox", "Edge", "curl"
	BrowserVersion string // as sent, e.g. "120.0.6099.144"
	OS             string // "Windows", "macOS", "iOS", "Android", "Linux", "ChromeOS"
	OSVersion      string // e.g. "17.1.2"; "10.0" is the Windows NT version (10 and 11 alike)
	DeviceType     string // Desktop, Mobile, Tablet, Bot or Unknown
	Label          string // "Chrome 120 on macOS", "curl 8", "Unknown device"
}

// maxUALen bounds how much of a header is parsed; real ones stay well under it.
const maxUALen = 1024

// Describe parses a User-Agent header.
func Describe(userAgent string) Info {
	if len(userAgent) > maxUALen {
		userAgent = userAgent[:maxUALen]
	}
	ua := useragent.Parse(userAgent)
	info := Info{
		Browser:        clean(ua.Name, 40),
		BrowserVersion: clean(ua.Version, 24),
		OS:             clean(ua.OS, 24),
		OSVersion:      clean(ua.OSVersion, 24),
	}
	// "Mozilla/5.0" alone is what the parser returns for a bare compatibility token.
	if strings.HasPrefix(info.Browser, "Mozilla") && info.BrowserVersion == "" {
		info.Browser = ""
	}
	// The parser reports the CPU ("x86_64") as the version of Linux and ChromeOS.
	if info.OSVersion != "" && !unicode.IsDigit(rune(info.OSVersion[0])) {
		info.OSVersion = ""
	}
	info.DeviceType = deviceType(ua, userAgent, info)
	info.Label = label(info, ua.VersionNo.Major)
	return info
}

func deviceType(ua useragent.UserAgent, raw string, info Info) string {
	switch {
	case ua.Bot:
		return Bot
	case ua.Tablet:
		return Tablet
	case ua.OS == useragent.Android && !strings.Contains(raw, "Mobile"):
		// Android browsers mark phones with "Mobile"; tablets omit it.
		return Tablet
	case ua.Mobile:
		return Mobile
	case ua.Desktop:
		return Desktop
	case info.Browser != "" && info.OS == "":
		return Bot
	default:
		return Unknown
	}
}

func label(info Info, major int) string {
	browser := info.Browser
	if browser != "" && major > 0 {
		browser += " " + strconv.Itoa(major)
	}
	switch {
	case browser != "" && info.OS != "":
		return browser + " on " + info.OS
	case browser != "":
		return browser
	case info.OS != "":
		return "Unknown browser on " + info.OS
	default:
		return "Unknown device"
	}
}

// clean keeps printable characters, collapses spaces and cuts to limit runes.
func clean(s string, limit int) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if n >= limit || space && n+1 >= limit {
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
