namespace Analytics.Schemas.Contracts;

/// <summary>Limits shared by the validator and the DataAnnotations that feed the JSON Schemas.</summary>
public static class ContractLimits
{
    /// <summary>Ids are stored in indexed columns; longer values are a producer bug, not data.</summary>
    public const int MaxIdLength = 128;

    /// <summary>Edge clocks drift; anything further ahead than this is a broken clock.</summary>
    public static readonly TimeSpan DefaultMaxFutureSkew = TimeSpan.FromMinutes(5);

    /// <summary>Absorbs floating-point error in boxes computed by edge trackers.</summary>
    public const double BoxEpsilon = 1e-9;
}
