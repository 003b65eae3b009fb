// Package schema ships the JSON Schemas of the bot definition format
// (parley.bot/v1) for editors: bot.schema.json for bot.yaml and
// task.schema.json for tasks/*.yaml. The dialog engine's compile step
// remains the authority (it also checks cross-references); the schemas
// catch typos while typing.
package schema

import _ "embed"

// Bot is bot.schema.json.
//
//go:embed bot.schema.json
var Bot []byte

// Task is task.schema.json.
//
//go:embed task.schema.json
var Task []byte
