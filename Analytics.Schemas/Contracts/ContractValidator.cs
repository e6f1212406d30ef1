using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// Rejects contract instances that cannot describe reality: values out of their physical range,
/// boxes outside the image, clocks in the future, missing ids. Every problem is reported, each at
/// the JSON path it has on the wire, so a producer can fix a whole payload in one round trip.
/// </summary>
/// <remarks>
/// Nothing here knows a contract. The per-field limits are the attributes on the contract records
/// (<see cref="IdAttribute"/>, <see cref="TextAttribute"/>, <c>Range</c>, <c>MinLength</c> ...), the
/// same ones <see cref="Serialization.ContractSchemas"/> writes into the published JSON Schemas;
/// what a JSON Schema cannot say is the record's <see cref="IContractRule{T}"/>. Each type's checks
/// are built once (<see cref="ContractPlan"/>), so a check costs typed delegate calls and no
/// allocation unless it finds a problem.
/// </remarks>
public static class ContractValidator
{
    /// <summary>
    /// Validates any contract record (an <see cref="Observation"/>, <see cref="Signal"/>,
    /// <see cref="AnalyticsEvent"/> with its payload, <see cref="Zone"/> ...) or a list of them, in
    /// which case paths start with the item index, e.g. <c>$[3].box.width</c>.
    /// </summary>
    /// <param name="model">The contract instance; null is reported as a problem at <c>$</c>.</param>
    /// <param name="now">The current time; <see cref="NotInFutureAttribute"/> timestamps may not lie further ahead than <paramref name="maxFutureSkew"/>.</param>
    /// <param name="maxFutureSkew">Tolerated clock skew; <see cref="ContractLimits.DefaultMaxFutureSkew"/> when null.</param>
    /// <returns>Every problem found; empty when the model is valid.</returns>
    /// <exception cref="ArgumentException">The model is not a contract.</exception>
    public static IReadOnlyList<ValidationProblem> Validate<T>(T model, DateTimeOffset now, TimeSpan? maxFutureSkew = null)
    {
        var context = new ContractContext(now, maxFutureSkew ?? ContractLimits.DefaultMaxFutureSkew, fieldsOnly: false);
        context.Check(model);
        return context.Problems;
    }

    /// <inheritdoc cref="Validate{T}(T, DateTimeOffset, TimeSpan?)"/>
    /// <param name="model">The contract instance; null is reported as a problem at <c>$</c>.</param>
    /// <param name="clock">Source of the current time.</param>
    /// <param name="maxFutureSkew">Tolerated clock skew; <see cref="ContractLimits.DefaultMaxFutureSkew"/> when null.</param>
    public static IReadOnlyList<ValidationProblem> Validate<T>(T model, TimeProvider clock, TimeSpan? maxFutureSkew = null) =>
        Validate(model, clock.GetUtcNow(), maxFutureSkew);

    /// <summary>
    /// The per-field limits alone, without the contracts' rules and the clock: exactly what the
    /// published JSON Schemas say, so a test can hold the two against each other.
    /// </summary>
    public static IReadOnlyList<ValidationProblem> ValidateFields<T>(T model)
    {
        var context = new ContractContext(DateTimeOffset.MaxValue, TimeSpan.Zero, fieldsOnly: true);
        context.Check(model);
        return context.Problems;
    }
}
