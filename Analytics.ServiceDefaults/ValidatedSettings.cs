using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Settings bound from one configuration section and validated when the host starts: data
/// annotations, cross-field rules and values that do not even convert, all reported at once
/// with the full key (<c>Antitheft:LoiteringSeconds must be between 1 and 3600, was -5</c>).
/// </summary>
public static class ValidatedSettings
{
    public static OptionsBuilder<TSettings> AddValidatedSettings<TSettings>(
        this IHostApplicationBuilder builder, string sectionName, Action<TSettings, IConfiguration>? afterBind = null)
        where TSettings : class
    {
        builder.Services.AddSingleton<SettingsBindingProblems>();
        builder.Services.AddSingleton<IValidateOptions<TSettings>>(sp =>
            new SettingsValidation<TSettings>(sectionName, sp.GetRequiredService<SettingsBindingProblems>(), sp.GetService<FlatEnvironmentNameUse>()));

        return builder.Services.AddOptions<TSettings>()
            .Configure<IConfiguration, SettingsBindingProblems>((settings, configuration, problems) =>
            {
                var found = new List<string>();
                SettingsBinder.Bind(configuration.GetSection(sectionName), settings, sectionName, found);
                problems.Set<TSettings>(found);
                afterBind?.Invoke(settings, configuration);
            })
            .ValidateOnStart();
    }

    /// <summary>
    /// The settings as configured, for code that runs while the host is built or endpoints are
    /// mapped, before start-up validation: reading <c>IOptions</c> there would throw a stack trace
    /// instead of the list of bad keys. Invalid settings give the defaults here; validation then
    /// stops the process before it serves anything.
    /// </summary>
    public static TSettings ReadBeforeValidation<TSettings>(
        this IHostApplicationBuilder builder, string sectionName, Action<TSettings, IConfiguration>? afterBind = null)
        where TSettings : class, new()
    {
        var settings = new TSettings();
        var problems = new List<string>();
        SettingsBinder.Bind(builder.Configuration.GetSection(sectionName), settings, sectionName, problems);
        afterBind?.Invoke(settings, builder.Configuration);
        return problems.Count == 0 && SettingsValidator.Validate(settings, sectionName).Count == 0 ? settings : new TSettings();
    }

    private sealed class SettingsValidation<TSettings>(string sectionName, SettingsBindingProblems bindingProblems, FlatEnvironmentNameUse? flatNames)
        : IValidateOptions<TSettings> where TSettings : class
    {
        public ValidateOptionsResult Validate(string? name, TSettings options)
        {
            var problems = bindingProblems.Get<TSettings>()
                .Concat(SettingsValidator.Validate(options, sectionName))
                .Distinct()
                .Select(problem => flatNames?.Annotate(problem) ?? problem)
                .ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}

/// <summary>Conversion failures seen while binding, kept until validation reports them.</summary>
internal sealed class SettingsBindingProblems
{
    private readonly ConcurrentDictionary<Type, IReadOnlyList<string>> _problems = new();

    public void Set<TSettings>(IReadOnlyList<string> problems) => _problems[typeof(TSettings)] = problems;

    public IReadOnlyList<string> Get<TSettings>() => _problems.GetValueOrDefault(typeof(TSettings), []);
}

/// <summary>
/// Binds property by property so that one value that does not convert is reported with its key
/// instead of aborting the whole bind (the configuration binder stops at the first failure).
/// </summary>
internal static class SettingsBinder
{
    public static void Bind(IConfigurationSection section, object target, string path, List<string> problems)
    {
        foreach (var property in target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanWrite || property.GetIndexParameters().Length > 0)
            {
                continue;
            }
            var child = section.GetSection(property.Name);
            var key = $"{path}:{property.Name}";
            if (IsScalar(property.PropertyType))
            {
                if (child.Value is null)
                {
                    continue;
                }
                try
                {
                    property.SetValue(target, child.Get(property.PropertyType));
                }
                catch (InvalidOperationException)
                {
                    problems.Add($"{key} must be {Describe(property.PropertyType)}, was '{child.Value}'");
                }
            }
            else if (child.Exists())
            {
                var nested = property.GetValue(target);
                if (nested is null or System.Collections.IEnumerable)
                {
                    try
                    {
                        property.SetValue(target, child.Get(property.PropertyType));
                    }
                    catch (InvalidOperationException e)
                    {
                        problems.Add($"{key} could not be read: {e.Message}");
                    }
                }
                else
                {
                    Bind(child, nested, key, problems);
                }
            }
        }
    }

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) ||
               type == typeof(TimeSpan) || type == typeof(DateTimeOffset) || type == typeof(Uri) || type == typeof(Guid);
    }

    private static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
        {
            return "one of " + string.Join(", ", Enum.GetNames(type));
        }
        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "true or false",
            TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64 or TypeCode.UInt16 or TypeCode.UInt32 or TypeCode.UInt64 or TypeCode.Byte => "a whole number",
            TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number",
            _ => string.Create(CultureInfo.InvariantCulture, $"a valid {type.Name}"),
        };
    }
}
