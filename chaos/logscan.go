package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
)

// logWarnings counts the WARN and ERROR messages of each service's log by
// message, for the JSON report: they say why a fault lost or repeated
// something.
func logWarnings(s *Stack) map[string]map[string]int {
	out := map[string]map[string]int{}
	for name, svc := range s.Services {
		f, err := os.Open(svc.Spec.LogFile)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "{") {
				continue
			}
			var rec struct {
				Level string `json:"level"`
				Msg   string `json:"msg"`
			}
			if json.Unmarshal([]byte(line), &rec) != nil || (rec.Level != "WARN" && rec.Level != "ERROR") {
				continue
			}
			if out[name] == nil {
				out[name] = map[string]int{}
			}
			out[name][rec.Level+" "+rec.Msg]++
		}
		f.Close()
	}
	return out
}
