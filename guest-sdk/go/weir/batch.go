package weir

import "wit_component/weir_plugin_types"

// Of says whose attributes an accessor reads: the record's, its scope's or
// its resource's.
type Of = weir_plugin_types.AttributesOf

// Whose attributes.
const (
	OfResource Of = weir_plugin_types.AttributesOf_Resource
	OfScope    Of = weir_plugin_types.AttributesOf_Scope
	OfRecord   Of = weir_plugin_types.AttributesOf_Record
)

// Value is an attribute value or log body.
type Value = weir_plugin_types.Value

// Value kinds (Value.Tag()).
const (
	ValueEmpty  = weir_plugin_types.Value_Empty
	ValueString = weir_plugin_types.Value_String
	ValueBool   = weir_plugin_types.Value_Bool
	ValueInt    = weir_plugin_types.Value_Int
	ValueDouble = weir_plugin_types.Value_Double
	ValueBytes  = weir_plugin_types.Value_Bytes
	ValueJSON   = weir_plugin_types.Value_Json
)

// StringValue makes a string Value.
func StringValue(s string) Value { return weir_plugin_types.MakeValueString(s) }

// Attribute is one key and value.
type Attribute = weir_plugin_types.KeyValue

// Batch is a batch of one signal, owned by weir, valid during Process.
type Batch struct {
	inner *weir_plugin_types.Batch
}

// WrapBatch is for the export glue.
func WrapBatch(inner *weir_plugin_types.Batch) *Batch { return &Batch{inner} }

// Signal is the batch's signal.
func (b *Batch) Signal() Signal { return b.inner.Signal() }

// Len is the number of records.
func (b *Batch) Len() int { return int(b.inner.Len()) }

// SeverityNumbers is every log record's severity (0-24), in one call.
func (b *Batch) SeverityNumbers() []uint8 { return b.inner.SeverityNumbers() }

// Names is every record's name.
func (b *Batch) Names() []string { return b.inner.Names() }

// Attributes are a record's (or its scope's, resource's) attributes.
func (b *Batch) Attributes(of Of, record int) []Attribute {
	return b.inner.Attributes(of, uint32(record))
}

// Attribute is one attribute, if present.
func (b *Batch) Attribute(of Of, record int, key string) (Value, bool) {
	v := b.inner.Attribute(of, uint32(record), key)
	if v.IsNone() {
		return Value{}, false
	}
	return v.Some(), true
}

// SetAttribute adds or replaces an attribute.
func (b *Batch) SetAttribute(of Of, record int, key string, value Value) {
	b.inner.SetAttribute(of, uint32(record), key, value)
}

// Body is a log record's body.
func (b *Batch) Body(record int) Value { return b.inner.Body(uint32(record)) }

// SetBody replaces a log record's body.
func (b *Batch) SetBody(record int, body Value) { b.inner.SetBody(uint32(record), body) }
