using System.Diagnostics;

namespace Microsoft.Extensions.Hosting;

/// <summary>The platform's own activity source and meter, exported by every service.</summary>
public static class Telemetry
{
    public const string ActivitySourceName = "Analytics";
    public const string MeterName = "Analytics";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
}
