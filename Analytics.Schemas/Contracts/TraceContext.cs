using System.ComponentModel;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>W3C trace context carried with an event so a trace spans the asynchronous hops.</summary>
[Description("W3C trace context (https://www.w3.org/TR/trace-context/).")]
public sealed record TraceContext(
    [property: Pattern(TraceContext.TraceParentPattern, TraceContext.TraceParentShape), Description("W3C traceparent header value, e.g. 00-<32 hex>-<16 hex>-<2 hex>.")] string TraceParent,
    [property: Description("W3C tracestate header value.")] string? TraceState = null)
{
    // W3C Trace Context §3.2: lowercase hex fields, version ff forbidden, all-zero ids invalid;
    // version 00 has exactly four fields, later versions may append more after the flags.
    private const string Ids = "-(?!0{32}-)[0-9a-f]{32}-(?!0{16}-)[0-9a-f]{16}-[0-9a-f]{2}";

    /// <summary>The shape of a traceparent, for the published schema and the validator alike.</summary>
    public const string TraceParentPattern = "^(?:00" + Ids + "(?![\\s\\S])|(?!00|ff)[0-9a-f]{2}" + Ids + "(?:-[\\s\\S]*)?(?![\\s\\S]))";

    public const string TraceParentShape = "a W3C traceparent like 00-<32 hex>-<16 hex>-<2 hex> with non-zero ids";
}
