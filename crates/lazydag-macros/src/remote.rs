//! The expansion of `#[remote]`: the function unchanged, plus one `inventory::submit!` of a
//! `RemoteFn` built from monomorphic helper functions of the registry crate, and the `TypeId`
//! of the fn item (its own zero-sized type, unlike its path), read through a helper `fn`
//! because `TypeId::of` is not a `const fn`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::parse::Parser;
use syn::{FnArg, GenericArgument, ItemFn, Pat, PathArguments, ReturnType, Type};

/// The most arguments a task function has (the arity limit of `delayed!`).
const MAX_ARGS: usize = 8;

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let krate = registry_crate(attr)?;
    let func: ItemFn = syn::parse2(item)?;
    check_signature(&func)?;
    let name = &func.sig.ident;
    let mut arg_types = Vec::new();
    for input in &func.sig.inputs {
        match input {
            FnArg::Typed(arg) => match &*arg.pat {
                Pat::Ident(_) => arg_types.push((*arg.ty).clone()),
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "#[remote]: name each argument (`x: T`), no patterns",
                    ));
                }
            },
            FnArg::Receiver(r) => {
                return Err(syn::Error::new_spanned(
                    r,
                    "#[remote] registers free functions, not methods",
                ));
            }
        }
    }
    if arg_types.len() > MAX_ARGS {
        return Err(syn::Error::new_spanned(
            &func.sig.inputs,
            format!("#[remote]: at most {MAX_ARGS} arguments (the arity of `delayed!`)"),
        ));
    }
    let (output, fallible) = output_type(&func.sig.output);
    let vars: Vec<_> = (0..arg_types.len()).map(|i| format_ident!("__lazydag_a{i}")).collect();
    let take = arg_types.iter().zip(&vars).enumerate().map(|(i, (ty, var))| {
        quote! { let #var: #ty = #krate::__private::take_arg::<#ty>(&mut __lazydag_args, #i)?; }
    });
    let settle = if fallible {
        quote! { #krate::__private::settle_fallible(#name(#(#vars),*)) }
    } else {
        quote! { ::core::result::Result::Ok(#krate::__private::Value::new(#name(#(#vars),*))) }
    };
    let n_args = arg_types.len();
    Ok(quote! {
        #func

        const _: () = {
            fn __lazydag_call(
                __lazydag_inputs: ::std::vec::Vec<#krate::__private::Value>,
            ) -> ::core::result::Result<#krate::__private::Value, ::std::string::String> {
                let mut __lazydag_args = __lazydag_inputs.into_iter();
                #(#take)*
                #settle
            }
            fn __lazydag_type_id() -> ::core::any::TypeId {
                fn __lazydag_of<T: 'static>(_: &T) -> ::core::any::TypeId {
                    ::core::any::TypeId::of::<T>()
                }
                __lazydag_of(&#name)
            }
            #krate::__private::inventory::submit! {
                #krate::RemoteFn::__new(
                    ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                    __lazydag_type_id,
                    #n_args,
                    &[#(#krate::__private::codec::<#arg_types>()),*],
                    #krate::__private::codec::<#output>(),
                    #fallible,
                    __lazydag_call,
                )
            }
        };
    })
}

/// `crate = path` in the attribute; else `::lazydag_dask` when the crate being built is
/// lazydag-dask or names it in its manifest, and `::lazydag::dask` (the facade's re-export)
/// when it depends only on `lazydag`.
fn registry_crate(attr: TokenStream) -> syn::Result<syn::Path> {
    let mut krate: syn::Path = if through_facade() {
        syn::parse_quote!(::lazydag::dask)
    } else {
        syn::parse_quote!(::lazydag_dask)
    };
    if attr.is_empty() {
        return Ok(krate);
    }
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            krate = meta.value()?.parse()?;
            Ok(())
        } else {
            Err(meta.error("#[remote] takes only `crate = path`"))
        }
    });
    parser.parse2(attr)?;
    Ok(krate)
}

fn check_signature(func: &ItemFn) -> syn::Result<()> {
    let sig = &func.sig;
    let refuse = |tokens: &dyn quote::ToTokens, what: &str| {
        Err(syn::Error::new_spanned(tokens, format!("#[remote] cannot register {what}")))
    };
    if let Some(t) = &sig.asyncness {
        return refuse(t, "an async function: Dask calls tasks synchronously");
    }
    if let Some(t) = &sig.unsafety {
        return refuse(t, "an unsafe function");
    }
    if let Some(t) = &sig.abi {
        return refuse(t, "an extern function");
    }
    if let Some(t) = &sig.constness {
        return refuse(t, "a const function");
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return refuse(
            &sig.generics,
            "a generic function: register one non-generic wrapper per type instead",
        );
    }
    if let Some(t) = &sig.variadic {
        return refuse(t, "a variadic function");
    }
    Ok(())
}

/// The task's value type and whether the function is fallible (returns `Result<T, E>`, the
/// value being `T`): the last path segment is `Result` with a first type argument.
fn output_type(output: &ReturnType) -> (Type, bool) {
    let ty = match output {
        ReturnType::Default => return (syn::parse_quote!(()), false),
        ReturnType::Type(_, ty) => (**ty).clone(),
    };
    if let Type::Path(path) = &ty
        && let Some(last) = path.path.segments.last()
        && last.ident == "Result"
        && let PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(GenericArgument::Type(ok)) = args.args.first()
    {
        return (ok.clone(), true);
    }
    (ty, false)
}

/// Whether the crate being compiled reaches the registry only through the `lazydag` facade:
/// its manifest names `lazydag` but not `lazydag-dask` (and it is not lazydag-dask itself).
fn through_facade() -> bool {
    if std::env::var("CARGO_PKG_NAME").is_ok_and(|n| n == "lazydag-dask") {
        return false;
    }
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else { return false };
    let Ok(manifest) = std::fs::read_to_string(std::path::Path::new(&dir).join("Cargo.toml"))
    else {
        return false;
    };
    let names = |dep: &str| {
        manifest.lines().any(|line| {
            let line = line.trim_start();
            line.strip_prefix(dep).is_some_and(|rest| {
                let rest = rest.trim_start();
                rest.starts_with('=') || rest.starts_with('.')
            }) || line.contains(&format!("package = \"{dep}\""))
        })
    };
    let is_facade = std::env::var("CARGO_PKG_NAME").is_ok_and(|n| n == "lazydag");
    !names("lazydag-dask") && (is_facade || names("lazydag"))
}
