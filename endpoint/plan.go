package endpoint

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// nameRE is SageMaker's pattern for model, endpoint config and endpoint names.
var nameRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9])*$`)

// eventKinds maps the supported S3 event types to an EventBridge detail type and the value of
// detail.reason (created) or detail.deletion-type (deleted) that narrows it ("" = any).
var eventKinds = map[awss3.EventType]struct{ detailType, narrow string }{
	awss3.EventType_OBJECT_CREATED:                           {events.DetailTypeObjectCreated, ""},
	awss3.EventType_OBJECT_CREATED_PUT:                       {events.DetailTypeObjectCreated, events.ReasonPutObject},
	awss3.EventType_OBJECT_CREATED_POST:                      {events.DetailTypeObjectCreated, events.ReasonPostObject},
	awss3.EventType_OBJECT_CREATED_COPY:                      {events.DetailTypeObjectCreated, events.ReasonCopyObject},
	awss3.EventType_OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD: {events.DetailTypeObjectCreated, events.ReasonCompleteMultipartUpload},
	awss3.EventType_OBJECT_REMOVED:                           {events.DetailTypeObjectDeleted, ""},
	awss3.EventType_OBJECT_REMOVED_DELETE:                    {events.DetailTypeObjectDeleted, events.DeletionTypePermanentlyDeleted},
	awss3.EventType_OBJECT_REMOVED_DELETE_MARKER_CREATED:     {events.DetailTypeObjectDeleted, events.DeletionTypeDeleteMarkerCreated},
}

// s3Rule is one EventBridge rule for object changes: a detail type and its narrowing values.
type s3Rule struct {
	detailType string
	narrow     []string // nil: any reason / deletion type
}

// modelPlan is one model to create.
type modelPlan struct {
	key   string // construct id and the name variants use
	props awssagemaker.CfnModelProps
	name  string
}

// plan is everything NewSagemakerEndpoint derives from its props before it builds anything.
type plan struct {
	endpointName string
	configBase   string
	models       []*modelPlan
	config       awssagemaker.CfnEndpointConfigProps
	configA      string
	configB      string
	filters      []refresher.Filter
	rules        []s3Rule
	quiet        time.Duration
	marker       string
	retainAll    bool
	deployment   *awssagemaker.CfnEndpoint_DeploymentConfigProperty
	rollback     []*string // names of the deployment's auto-rollback alarms
	configKey    *keyGrant // where the grants for the endpoint configs' KmsKeyId apply, nil without one
}

// newPlan validates props and derives names and filters. Bad input panics with a one-line
// message naming the value and what was expected (the CDK way: synth stops).
func newPlan(scope constructs.Construct, c constructs.Construct, p *SagemakerEndpointProps) *plan {
	if p == nil {
		fail("props: expected SagemakerEndpointProps, got nil")
	}
	if len(p.Models) == 0 {
		fail("Models: expected at least one model, got none")
	}
	if p.EndpointConfigProps == nil {
		fail("EndpointConfigProps: expected endpoint config props, got nil")
	}
	if p.ModelsBucket == nil {
		fail("ModelsBucket: expected a bucket, got nil")
	}
	pl := &plan{retainAll: true}
	if p.RetainAllVariantProperties != nil {
		pl.retainAll = *p.RetainAllVariantProperties
	}
	pl.names(c, p)
	usesPrefix := pl.modelsFrom(p)
	pl.configFrom(p)
	pl.marker = literal("CompletionMarkerKey", p.CompletionMarkerKey)
	if strings.HasPrefix(pl.marker, "/") {
		fail("CompletionMarkerKey %q: expected an object key without a leading \"/\"", pl.marker)
	}
	pl.eventsFrom(p, usesPrefix)
	pl.quietFrom(p, usesPrefix)
	pl.deploymentFrom(p)
	pl.rollback = rollbackAlarms(pl.deployment)
	pl.configKey = configKeyGrant(awscdk.Stack_Of(scope), pl.config.KmsKeyId)
	pl.hashNames(awscdk.Stack_Of(scope))
	return pl
}

func fail(format string, args ...any) {
	panic(fmt.Sprintf("endpoint: "+format, args...))
}

// literal returns *s, failing when it is a CDK token (names must be known at synth).
func literal(field string, s *string) string {
	if s == nil {
		return ""
	}
	if awscdk.Token_IsUnresolved(s) != nil && *awscdk.Token_IsUnresolved(s) {
		fail("%s %q: expected a literal string, got a token", field, *s)
	}
	return *s
}

// checkName fails unless name is a valid SageMaker name.
func checkName(field, name string) {
	if len(name) > MaxNameLength {
		fail("%s %q: expected at most %d characters, got %d", field, name, MaxNameLength, len(name))
	}
	if !nameRE.MatchString(name) {
		fail("%s %q: expected letters, digits and hyphens, starting and ending with a letter or digit (%s)", field, name, nameRE)
	}
}

// names settles the endpoint name and the base of the config names.
func (pl *plan) names(c constructs.Construct, p *SagemakerEndpointProps) {
	var epConfig string
	if ep := p.EndpointProps; ep != nil {
		pl.endpointName = literal("EndpointProps.EndpointName", ep.EndpointName)
		epConfig = literal("EndpointProps.EndpointConfigName", ep.EndpointConfigName)
	}
	if pl.endpointName == "" {
		pl.endpointName = *awscdk.Names_UniqueResourceName(c, &awscdk.UniqueResourceNameOptions{
			MaxLength: jsii.Number(MaxNameLength), Separator: jsii.String("-"),
		})
		// Lower case: SageMaker puts names into ARNs in lower case, so IAM and events agree.
		pl.endpointName = strings.ToLower(strings.Trim(strings.ReplaceAll(pl.endpointName, "_", "-"), "-"))
	}
	checkName("endpoint name", pl.endpointName)
	checkTags(p.EndpointProps)
	cfgName := literal("EndpointConfigProps.EndpointConfigName", p.EndpointConfigProps.EndpointConfigName)
	if epConfig != "" && cfgName != "" && epConfig != cfgName {
		fail("EndpointProps.EndpointConfigName %q: expected %q, the EndpointConfigProps.EndpointConfigName", epConfig, cfgName)
	}
	pl.configBase = cmp.Or(cfgName, epConfig, pl.endpointName)
	checkName("endpoint config name", pl.configBase)
}

// checkTags fails on a user tag under refresher.TagPrefix: the construct owns those keys.
func checkTags(ep *awssagemaker.CfnEndpointProps) {
	if ep == nil || ep.Tags == nil {
		return
	}
	for i, t := range *ep.Tags {
		if t != nil && t.Key != nil && strings.HasPrefix(*t.Key, refresher.TagPrefix) {
			fail("EndpointProps.Tags[%d] key %q: expected a key outside %q, which is reserved for the construct's own tags", i, *t.Key, refresher.TagPrefix)
		}
	}
}

// modelsFrom validates the models and reports whether any is an S3 prefix.
func (pl *plan) modelsFrom(p *SagemakerEndpointProps) (usesPrefix bool) {
	seen := map[string]bool{}
	for i, m := range p.Models {
		if m.Props == nil {
			fail("Models[%d].Props: expected CfnModelProps, got nil", i)
		}
		name := literal(fmt.Sprintf("Models[%d].Props.ModelName", i), m.Props.ModelName)
		if name != "" {
			checkName(fmt.Sprintf("Models[%d] model name", i), name)
		}
		key := cmp.Or(literal(fmt.Sprintf("Models[%d].CustomID", i), m.CustomID), name, fmt.Sprintf("Model%d", i))
		checkName(fmt.Sprintf("Models[%d] custom ID", i), key)
		if seen[key] {
			fail("Models[%d] custom ID %q: expected a unique ID, another model has it", i, key)
		}
		seen[key] = true
		pl.models = append(pl.models, &modelPlan{key: key, props: *m.Props, name: name})
		for _, a := range artifacts(m.Props) {
			usesPrefix = usesPrefix || a.prefix
		}
	}
	return usesPrefix
}

// artifact is one S3 location a model reads.
type artifact struct {
	uri    string
	prefix bool
}

// artifacts lists the S3 locations of a model's containers (ModelDataUrl, ModelDataSource).
func artifacts(m *awssagemaker.CfnModelProps) []artifact {
	var out []artifact
	for _, c := range containers(m) {
		if c.ModelDataUrl != nil {
			out = append(out, artifact{uri: *c.ModelDataUrl})
		}
		var src *awssagemaker.CfnModel_ModelDataSourceProperty
		switch v := c.ModelDataSource.(type) {
		case *awssagemaker.CfnModel_ModelDataSourceProperty:
			src = v
		case awssagemaker.CfnModel_ModelDataSourceProperty:
			src = &v
		}
		if src == nil {
			continue
		}
		var s3 *awssagemaker.CfnModel_S3DataSourceProperty
		switch v := src.S3DataSource.(type) {
		case *awssagemaker.CfnModel_S3DataSourceProperty:
			s3 = v
		case awssagemaker.CfnModel_S3DataSourceProperty:
			s3 = &v
		}
		if s3 != nil && s3.S3Uri != nil {
			out = append(out, artifact{uri: *s3.S3Uri, prefix: s3.S3DataType != nil && *s3.S3DataType == "S3Prefix"})
		}
	}
	return out
}

func containers(m *awssagemaker.CfnModelProps) []*awssagemaker.CfnModel_ContainerDefinitionProperty {
	var out []*awssagemaker.CfnModel_ContainerDefinitionProperty
	add := func(v any) {
		switch c := v.(type) {
		case *awssagemaker.CfnModel_ContainerDefinitionProperty:
			out = append(out, c)
		case awssagemaker.CfnModel_ContainerDefinitionProperty:
			out = append(out, &c)
		}
	}
	add(m.PrimaryContainer)
	switch cs := m.Containers.(type) {
	case []*awssagemaker.CfnModel_ContainerDefinitionProperty:
		for _, c := range cs {
			add(c)
		}
	case *[]*awssagemaker.CfnModel_ContainerDefinitionProperty:
		for _, c := range *cs {
			add(c)
		}
	case []any:
		for _, c := range cs {
			add(c)
		}
	case *[]any:
		for _, c := range *cs {
			add(c)
		}
	}
	return out
}

// configFrom copies the config props and points every variant at a model key.
func (pl *plan) configFrom(p *SagemakerEndpointProps) {
	pl.config = *p.EndpointConfigProps
	pl.config.EndpointConfigName = nil
	var err error
	if pl.config.ProductionVariants, err = pl.variants("ProductionVariants", pl.config.ProductionVariants, true); err != nil {
		fail("%v", err)
	}
	if pl.config.ShadowProductionVariants != nil {
		if pl.config.ShadowProductionVariants, err = pl.variants("ShadowProductionVariants", pl.config.ShadowProductionVariants, false); err != nil {
			fail("%v", err)
		}
	}
}

// variants copies a variant list, resolving each ModelName to a model key (the deployed name
// is filled in by hashNames).
func (pl *plan) variants(field string, v any, required bool) (*[]*awssagemaker.CfnEndpointConfig_ProductionVariantProperty, error) {
	var in []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty
	add := func(x any) error {
		switch pv := x.(type) {
		case *awssagemaker.CfnEndpointConfig_ProductionVariantProperty:
			in = append(in, pv)
		case awssagemaker.CfnEndpointConfig_ProductionVariantProperty:
			in = append(in, &pv)
		default:
			return fmt.Errorf("EndpointConfigProps.%s: expected CfnEndpointConfig_ProductionVariantProperty values, got %T", field, x)
		}
		return nil
	}
	switch vs := v.(type) {
	case []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty:
		in = vs
	case *[]*awssagemaker.CfnEndpointConfig_ProductionVariantProperty:
		in = *vs
	case []any:
		for _, x := range vs {
			if err := add(x); err != nil {
				return nil, err
			}
		}
	case *[]any:
		for _, x := range *vs {
			if err := add(x); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("EndpointConfigProps.%s: expected a list of CfnEndpointConfig_ProductionVariantProperty, got %T", field, v)
	}
	if required && len(in) == 0 {
		return nil, fmt.Errorf("EndpointConfigProps.%s: expected at least one production variant, got none", field)
	}
	keys := make([]string, len(pl.models))
	for i, m := range pl.models {
		keys[i] = m.key
	}
	out := make([]*awssagemaker.CfnEndpointConfig_ProductionVariantProperty, len(in))
	for i, pv := range in {
		cp := *pv
		ref := ""
		if pv.ModelName != nil {
			ref = *pv.ModelName
		}
		switch {
		case ref == "" && len(pl.models) == 1:
			ref = pl.models[0].key
		case ref == "":
			return nil, fmt.Errorf("EndpointConfigProps.%s[%d].ModelName: expected one of %q, got none", field, i, keys)
		}
		if m := pl.model(ref); m == nil {
			return nil, fmt.Errorf("EndpointConfigProps.%s[%d].ModelName %q: expected a model's CustomID or ModelName, one of %q", field, i, ref, keys)
		}
		cp.ModelName = jsii.String(ref)
		out[i] = &cp
	}
	return &out, nil
}

// model finds a model by key or by the ModelName the user gave it.
func (pl *plan) model(ref string) *modelPlan {
	for _, m := range pl.models {
		if m.key == ref || (m.name != "" && m.name == ref) {
			return m
		}
	}
	return nil
}

// eventsFrom validates BucketEvents or derives the default from the models' artifacts.
func (pl *plan) eventsFrom(p *SagemakerEndpointProps, usesPrefix bool) {
	be := p.BucketEvents
	if be == nil {
		be = &BucketEvents{EventTypes: []awss3.EventType{awss3.EventType_OBJECT_CREATED}}
		if pl.marker != "" {
			be.Filters = []*awss3.NotificationKeyFilter{{Prefix: jsii.String(pl.marker)}}
		} else {
			be.Filters = pl.defaultFilters(p)
		}
	}
	if len(be.EventTypes) == 0 {
		fail("BucketEvents.EventTypes: expected at least one S3 event type (e.g. OBJECT_CREATED), got none")
	}
	byType := map[string]*s3Rule{}
	for i, et := range be.EventTypes {
		kind, ok := eventKinds[et]
		if !ok {
			fail("BucketEvents.EventTypes %q: expected an OBJECT_CREATED or OBJECT_REMOVED event type", et)
		}
		if slices.Contains(be.EventTypes[:i], et) {
			fail("BucketEvents.EventTypes %q: expected each event type once", et)
		}
		r := byType[kind.detailType]
		if r == nil {
			r = &s3Rule{detailType: kind.detailType, narrow: []string{}}
			byType[kind.detailType] = r
		}
		switch {
		case r.narrow == nil: // already any
		case kind.narrow == "":
			r.narrow = nil
		default:
			r.narrow = append(r.narrow, kind.narrow)
		}
	}
	for _, dt := range []string{events.DetailTypeObjectCreated, events.DetailTypeObjectDeleted} {
		if r := byType[dt]; r != nil {
			pl.rules = append(pl.rules, *r)
		}
	}
	for i, f := range be.Filters {
		if f == nil {
			fail("BucketEvents.Filters[%d]: expected a NotificationKeyFilter, got nil", i)
		}
		kf := refresher.Filter{
			Prefix: literal(fmt.Sprintf("BucketEvents.Filters[%d].Prefix", i), f.Prefix),
			Suffix: literal(fmt.Sprintf("BucketEvents.Filters[%d].Suffix", i), f.Suffix),
		}
		if strings.HasPrefix(kf.Prefix, "/") {
			fail("BucketEvents.Filters[%d].Prefix %q: expected a key prefix without a leading \"/\" (S3 keys have none)", i, kf.Prefix)
		}
		if slices.Contains(pl.filters, kf) {
			fail("BucketEvents.Filters[%d] {Prefix: %q, Suffix: %q}: expected each filter once, it is a duplicate", i, kf.Prefix, kf.Suffix)
		}
		pl.filters = append(pl.filters, kf)
	}
	if pl.marker != "" && len(pl.filters) > 0 && !slices.ContainsFunc(pl.filters, func(f refresher.Filter) bool { return f.Matches(pl.marker) }) {
		fail("CompletionMarkerKey %q: expected a key that BucketEvents.Filters match", pl.marker)
	}
}

// defaultFilters is one prefix filter per model artifact in the models bucket.
func (pl *plan) defaultFilters(p *SagemakerEndpointProps) []*awss3.NotificationKeyFilter {
	bucket := ""
	if n := p.ModelsBucket.BucketName(); n != nil && !*awscdk.Token_IsUnresolved(n) {
		bucket = *n
	}
	var out []*awss3.NotificationKeyFilter
	seen := map[string]bool{}
	for i, m := range pl.models {
		for _, a := range artifacts(&m.props) {
			rest, ok := strings.CutPrefix(a.uri, "s3://")
			b, key, ok2 := strings.Cut(rest, "/")
			if !ok || !ok2 || key == "" {
				fail("Models[%d] S3 URI %q: expected s3://<bucket>/<key>", i, a.uri)
			}
			if *awscdk.Token_IsUnresolved(jsii.String(key)) {
				fail("Models[%d] S3 URI %q: expected a literal object key to watch; set BucketEvents", i, a.uri)
			}
			if bucket != "" && !*awscdk.Token_IsUnresolved(jsii.String(b)) && b != bucket {
				fail("Models[%d] S3 URI %q: expected an object in ModelsBucket %q; set BucketEvents to watch it anyway", i, a.uri, bucket)
			}
			if !seen[key] {
				seen[key] = true
				out = append(out, &awss3.NotificationKeyFilter{Prefix: jsii.String(key)})
			}
		}
	}
	if len(out) == 0 {
		fail("BucketEvents: expected filters, and no model has an S3 ModelDataUrl or ModelDataSource to derive them from")
	}
	return out
}

// quietFrom settles the quiet period.
func (pl *plan) quietFrom(p *SagemakerEndpointProps, usesPrefix bool) {
	if p.QuietPeriod == nil {
		if usesPrefix && pl.marker == "" {
			pl.quiet = DefaultPrefixQuietPeriod
		}
		return
	}
	pl.quiet = time.Duration(*p.QuietPeriod.ToMilliseconds(nil)) * time.Millisecond
	if pl.quiet > MaxQuietPeriod {
		fail("QuietPeriod %s: expected at most %s", pl.quiet, MaxQuietPeriod)
	}
	if pl.quiet%time.Second != 0 {
		fail("QuietPeriod %s: expected whole seconds", pl.quiet)
	}
}

// deploymentFrom takes DeploymentConfig from the props or the endpoint props (not both).
func (pl *plan) deploymentFrom(p *SagemakerEndpointProps) {
	pl.deployment = p.DeploymentConfig
	if p.EndpointProps == nil || p.EndpointProps.DeploymentConfig == nil {
		return
	}
	if pl.deployment != nil {
		fail("EndpointProps.DeploymentConfig: expected nil when DeploymentConfig is set, set it once")
	}
	switch v := p.EndpointProps.DeploymentConfig.(type) {
	case *awssagemaker.CfnEndpoint_DeploymentConfigProperty:
		pl.deployment = v
	case awssagemaker.CfnEndpoint_DeploymentConfigProperty:
		pl.deployment = &v
	default:
		fail("EndpointProps.DeploymentConfig: expected *CfnEndpoint_DeploymentConfigProperty, got %T", v)
	}
}

// hashNames gives models without a name and both configs content-derived names: a change of
// the props yields new names, so CloudFormation creates new resources and updates the endpoint.
func (pl *plan) hashNames(stack awscdk.Stack) {
	for _, m := range pl.models {
		if m.name != "" {
			continue
		}
		props := m.props
		props.ModelName = nil
		// The key is hashed too: two models with equal props still get different names when
		// a long endpoint name cuts the key off.
		m.name = hashedName(pl.endpointName+"-"+m.key, "-"+contentHash(stack, []any{m.key, &props}))
	}
	// Variants name models by key until now; the config hash covers the deployed model names.
	for _, list := range []any{pl.config.ProductionVariants, pl.config.ShadowProductionVariants} {
		vs, _ := list.(*[]*awssagemaker.CfnEndpointConfig_ProductionVariantProperty)
		if vs == nil {
			continue
		}
		for _, v := range *vs {
			v.ModelName = jsii.String(pl.model(*v.ModelName).name)
		}
	}
	h := contentHash(stack, &pl.config)
	pl.configA = hashedName(pl.configBase, "-a-"+h)
	pl.configB = hashedName(pl.configBase, "-b-"+h)
}

// contentHash is the first 8 hex digits of the SHA-256 of v's resolved CloudFormation form, so
// tokens count by what they refer to, not by their (order-dependent) token numbers.
func contentHash(stack awscdk.Stack, v any) string {
	body, err := json.Marshal(stack.Resolve(v))
	if err != nil {
		fail("hash props: %v", err)
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])[:8]
}

// hashedName is prefix+suffix within MaxNameLength: the prefix is cut short when needed, the
// suffix (which holds the content hash) never is.
func hashedName(prefix, suffix string) string {
	if max := MaxNameLength - len(suffix); len(prefix) > max {
		prefix = strings.TrimRight(prefix[:max], "-")
	}
	return prefix + suffix
}
