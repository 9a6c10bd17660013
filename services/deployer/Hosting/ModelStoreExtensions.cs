using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Models;
using ModelPlatform.Deployer.Models.Catalog;
using ModelPlatform.Deployer.Models.Files;

namespace ModelPlatform.Deployer.Hosting;

/// <summary>The model store: its files on the deployer's disk, its catalog in the runtime's store.</summary>
internal static class ModelStoreExtensions
{
    public static IServiceCollection AddModelStore(this IServiceCollection services, RuntimeKind runtime)
    {
        if (runtime == RuntimeKind.Dapr)
        {
            services.AddSingleton<IModelCatalog, DaprModelCatalog>();
        }
        else
        {
            services.AddSingleton<IModelCatalog, SqliteModelCatalog>();
        }

        services.AddSingleton<ModelFiles>();
        services.AddSingleton<ModelStore>();
        services.AddSingleton<ModelPinning>();
        services.AddSingleton<RemoteModelFetch>();
        // The fetch's own deadline (Deployer:Models:FetchTimeout) bounds it; a model may take minutes.
        services.AddHttpClient(RemoteModelFetch.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }
}
