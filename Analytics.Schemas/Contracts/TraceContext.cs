using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Contracts;

/// <summary>W3C trace context carried with an event so a trace spans the asynchronous hops.</summary>
[Description("W3C trace context (https://www.w3.org/TR/trace-context/).")]
public sealed record TraceContext(
    [property: Required, MinLength(55), Description("W3C traceparent header value, e.g. 00-<32 hex>-<16 hex>-<2 hex>.")] string TraceParent,
    [property: Description("W3C tracestate header value.")] string? TraceState = null);
