namespace Analytics.Schemas.Contracts;

/// <summary>Limits shared by the validator and the DataAnnotations that feed the JSON Schemas.</summary>
public static class ContractLimits
{
    /// <summary>Ids are stored in indexed columns; longer values are a producer bug, not data.</summary>
    public const int MaxIdLength = 128;

    /// <summary>Free text shown to operators (an address, a description); bounded so a row stays small.</summary>
    public const int MaxTextLength = 2000;

    /// <summary>
    /// Bounds of a camera's own offline threshold, the same as <c>Fusion:CameraOfflineSeconds</c>:
    /// shorter reads a dropped frame as an outage, longer hides one for a day.
    /// </summary>
    public const int MinOfflineAfterSeconds = 10;

    /// <inheritdoc cref="MinOfflineAfterSeconds"/>
    public const int MaxOfflineAfterSeconds = 86400;

    /// <summary>Edge clocks drift; anything further ahead than this is a broken clock.</summary>
    public static readonly TimeSpan DefaultMaxFutureSkew = TimeSpan.FromMinutes(5);

    /// <summary>Absorbs floating-point error in boxes computed by edge trackers.</summary>
    public const double BoxEpsilon = 1e-9;
}
